// Copyright 2026 The django_health_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package web

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/version"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
	"github.com/django-health/django_health_exporter/probe"
)

// StatusPage serves "/": what is broken now (every target's last result,
// every heartbeat, worst first, with a summary line on top), and below
// the recent probes, for a person with a browser and little time. It is
// plain server-rendered HTML with no external assets, so that it works
// where the exporter has no internet, and on a phone.
type StatusPage struct {
	History    *History
	Current    *Current
	Config     func() *config.Config
	Failure    func() *ReloadFailure // the last failed reload, nil
	Heartbeats func() []collector.HeartbeatView
	// AdHocWindows are the maintenance windows opened through the API.
	AdHocWindows func() []*config.MaintenanceWindow
	// Refused are the names whose pings were refused as unknown.
	Refused func() []collector.RefusedName
	Logger  *slog.Logger
	now     func() time.Time
}

const (
	// refreshSeconds is how often the page reloads itself (?refresh=off
	// stops it).
	refreshSeconds = 30
	// maxUpHeartbeats bounds the rows of heartbeats that are fine: with
	// thousands, the page lists every one that is not, and counts the rest.
	maxUpHeartbeats = 300
	// maxRecentProbes bounds the history table.
	maxRecentProbes = 100
)

// targetRow is a target's state with where to read its account.
type targetRow struct {
	TargetState
	Maintenance string // the open maintenance window it is in
	Why         string
	Details     string // /logs?id= while kept, else a new debug probe
	// LastFailure is /logs?target=: the last failed probe, for a target
	// that failed and is up again.
	LastFailure string
}

// openWindow is a maintenance window open now, and when it closes.
type openWindow struct {
	Name  string
	Until time.Time
}

// openWindows are the configuration's maintenance windows open at now.
func openWindows(cfg *config.Config, now time.Time, adhoc ...*config.MaintenanceWindow) []openWindow {
	var out []openWindow
	for _, w := range append(slices.Clip(cfg.Maintenance), adhoc...) {
		if w == nil {
			continue
		}
		if open, end := w.Open(now); open {
			out = append(out, openWindow{w.Name, end})
		}
	}
	return out
}

// summaryPart is one count of the summary line: "2 failing".
type summaryPart struct {
	Count int
	Word  string
	Class string
}

type statusData struct {
	Version        string
	Now            time.Time
	Refresh        bool
	RefreshSeconds int
	ReloadFailure  *ReloadFailure
	// Windows are the maintenance windows open now: "patching until 13:30".
	Windows           []openWindow
	TargetSummary     []summaryPart
	HeartbeatSummary  []summaryPart
	AllFine           bool
	Targets           []targetRow
	Heartbeats        []collector.HeartbeatView
	HiddenUp          int
	HeartbeatsEnabled bool
	Probes            []*probe.Result
	// Releases are the releases targets and heartbeats report, the most
	// common first; OddReleases those that differ from it (a process a
	// deploy did not restart).
	Releases    []releaseCount
	OddReleases map[string]bool
	Refused     []collector.RefusedName
}

// releaseCount is how many targets and heartbeats report a release, and
// (for the few) which.
type releaseCount struct {
	Release string
	Count   int
	Who     []string
}

// maxReleaseWho bounds the names listed for a release.
const maxReleaseWho = 5

// releases counts the releases of the targets and heartbeats: one release
// is what a deployment should run once a deploy is over; the others are
// marked on the page.
func releases(targets []targetRow, heartbeats []collector.HeartbeatView) ([]releaseCount, map[string]bool) {
	byRelease := map[string]*releaseCount{}
	add := func(release, who string) {
		if release == "" {
			return
		}
		rc, ok := byRelease[release]
		if !ok {
			rc = &releaseCount{Release: release}
			byRelease[release] = rc
		}
		rc.Count++
		if len(rc.Who) < maxReleaseWho {
			rc.Who = append(rc.Who, who)
		}
	}
	for _, t := range targets {
		add(t.Release, "target "+t.Target)
	}
	for _, h := range heartbeats {
		add(h.Release, h.Name)
	}
	out := make([]releaseCount, 0, len(byRelease))
	for _, rc := range byRelease {
		out = append(out, *rc)
	}
	slices.SortFunc(out, func(a, b releaseCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Release, b.Release)
	})
	odd := map[string]bool{}
	for _, rc := range out[min(1, len(out)):] {
		odd[rc.Release] = true
	}
	return out, odd
}

func (s *StatusPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	if s.now != nil {
		now = s.now()
	}
	d := statusData{
		Version:        version.Version,
		Now:            now,
		Refresh:        r.URL.Query().Get("refresh") != "off",
		RefreshSeconds: refreshSeconds,
	}
	if s.Failure != nil {
		d.ReloadFailure = s.Failure()
	}
	if s.Config != nil {
		var adhoc []*config.MaintenanceWindow
		if s.AdHocWindows != nil {
			adhoc = s.AdHocWindows()
		}
		d.Windows = openWindows(s.Config(), now, adhoc...)
	}
	if s.Current != nil && s.Config != nil {
		d.Targets, d.TargetSummary = s.targets(now)
	}
	if s.Heartbeats != nil {
		d.HeartbeatsEnabled = true
		d.Heartbeats, d.HiddenUp, d.HeartbeatSummary = heartbeatRows(s.Heartbeats())
	}
	d.Releases, d.OddReleases = releases(d.Targets, d.Heartbeats)
	if s.Refused != nil {
		d.Refused = s.Refused()
	}
	d.AllFine = d.ReloadFailure == nil && allFine(d.TargetSummary) && allFine(d.HeartbeatSummary) && len(d.OddReleases) == 0
	if s.History != nil {
		d.Probes = s.History.List()
		if len(d.Probes) > maxRecentProbes {
			d.Probes = d.Probes[:maxRecentProbes]
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusTemplate.Execute(w, d); err != nil && s.Logger != nil {
		s.Logger.Error("Error rendering the status page", "err", err)
	}
}

func (s *StatusPage) targets(now time.Time) ([]targetRow, []summaryPart) {
	cfg := s.Config()
	var adhoc []*config.MaintenanceWindow
	if s.AdHocWindows != nil {
		adhoc = s.AdHocWindows()
	}
	states := s.Current.States(cfg)
	rows := make([]targetRow, len(states))
	var failing, unprobed, up int
	for i, st := range states {
		row := targetRow{TargetState: st}
		row.Maintenance, _ = cfg.TargetInMaintenance(st.Target, now, adhoc...)
		switch {
		case !st.Probed:
			unprobed++
			row.Why = "not probed since the exporter started: Prometheus has not scraped it yet"
		case !st.Success:
			failing++
			row.Why = st.Failure
		default:
			up++
			if len(st.Warnings) > 0 {
				row.Why = fmt.Sprintf("warning-level checks failed: %v", st.Warnings)
			}
		}
		if st.Probed && s.History != nil && s.History.Get(st.ID) != nil {
			row.Details = "logs?id=" + fmt.Sprint(st.ID)
		} else {
			q := url.Values{"target": {st.Target}, "module": {st.Module}, "debug": {"true"}}
			if st.Hostname != "" {
				q.Set("hostname", st.Hostname)
			}
			row.Details = "probe?" + q.Encode()
		}
		if st.LastFailed.ID != 0 {
			row.LastFailure = "logs?" + url.Values{"target": {st.Target}}.Encode()
		}
		rows[i] = row
	}
	return rows, []summaryPart{{failing, "failing", "bad"}, {unprobed, "not probed yet", "warn"}, {up, "up", "ok"}}
}

// heartbeatRows sorts heartbeats by severity and name, keeps at most
// maxUpHeartbeats of those that are up, and counts each state.
func heartbeatRows(views []collector.HeartbeatView) ([]collector.HeartbeatView, int, []summaryPart) {
	slices.SortStableFunc(views, func(a, b collector.HeartbeatView) int {
		if c := cmp.Compare(a.State.Severity(), b.State.Severity()); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	count := map[collector.State]int{}
	shown, hidden := views[:0:0], 0
	for _, v := range views {
		count[v.State]++
		if v.State == collector.StateUp && count[v.State] > maxUpHeartbeats {
			hidden++
			continue
		}
		shown = append(shown, v)
	}
	var parts []summaryPart
	for _, st := range collector.States {
		if n := count[st]; n > 0 || st == collector.StateUp {
			parts = append(parts, summaryPart{n, string(st), stateClass(st)})
		}
	}
	return shown, hidden, parts
}

// allFine: no count of a bad or warning kind is above zero.
func allFine(parts []summaryPart) bool {
	for _, p := range parts {
		if p.Class != "ok" && p.Count > 0 {
			return false
		}
	}
	return true
}

// due says when something is due: "in 5m", or "08:40 UTC, overdue by
// 1m" once passed.
func due(t, now time.Time) string {
	if t.Before(now) {
		return clock(t, now) + ", overdue by " + text.Duration(now.Sub(t))
	}
	return relative(t, now)
}

// relative says when t is from now: "5m ago", "in 2h 3m", "never".
func relative(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "never"
	case t.After(now):
		return "in " + text.Duration(t.Sub(now))
	}
	return text.Duration(now.Sub(t)) + " ago"
}
