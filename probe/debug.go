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

package probe

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/text"
)

// DebugOutput is the plain-text account of a probe that &debug=true and
// /logs?id= answer: what was asked, what came back, every check and why it
// failed, the log, the metrics and the module it ran with (secrets
// redacted).
func DebugOutput(r *Result) string {
	var b strings.Builder
	for _, section := range []func(*strings.Builder, *Result){
		debugVerdict, debugAnswer, debugChecks, debugDjango, debugHealth, debugLog,
	} {
		section(&b, r)
	}
	b.WriteString("\nMetrics that would have been returned:\n")
	b.WriteString(metricsText(r))
	if r.ModuleConfig != nil {
		if y, err := config.MarshalRedacted(r.ModuleConfig); err == nil {
			b.WriteString("\nModule configuration:\n")
			b.Write(y)
		}
	}
	return b.String()
}

// debugVerdict says what was probed and whether it passed, and why not.
func debugVerdict(b *strings.Builder, r *Result) {
	fmt.Fprintf(b, "Probe %d of %s with module %s at %s\n", r.ID, r.Target, r.Module, r.Start.UTC().Format(time.RFC3339))
	if r.Success {
		fmt.Fprintf(b, "Result: SUCCESS in %.3fs\n", r.Duration.Seconds())
	} else {
		fmt.Fprintf(b, "Result: FAILED in %.3fs:\n", r.Duration.Seconds())
		for _, f := range r.Failures {
			fmt.Fprintf(b, "  - [%s] %s\n", f.Reason, f.Message)
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("Warnings:\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(b, "  - %s\n", w)
		}
	}
	if r.Hostname != "" {
		fmt.Fprintf(b, "Host header and TLS server name: %s\n", r.Hostname)
	}
}

// debugAnswer describes the answer: status, size, timings, TLS.
func debugAnswer(b *strings.Builder, r *Result) {
	if r.Response {
		fmt.Fprintf(b, "\nAnswer: HTTP %d, %d bytes of body, %d redirects, SHA-256 %s\n", r.StatusCode, r.BodyLength, r.Redirects, r.ContentHash)
		fmt.Fprintf(b, "Phases:")
		for i, name := range phaseNames {
			fmt.Fprintf(b, " %s=%.4fs", name, r.Phases[i])
		}
		b.WriteByte('\n')
	}
	if t := r.TLS; t != nil {
		subject, issuer := t.names()
		version := t.Version
		if version == "" {
			version = "handshake failed"
		}
		fmt.Fprintf(b, "TLS: %s, certificate %q issued by %q, first expiry in the chain %s (in %s)\n",
			version, subject, issuer, t.EarliestExpiry.UTC().Format(time.RFC3339), text.Duration(time.Until(t.EarliestExpiry)))
	}
}

func debugChecks(b *strings.Builder, r *Result) {
	if len(r.Checks) == 0 {
		return
	}
	b.WriteString("\nChecks:\n")
	for _, c := range r.Checks {
		fmt.Fprintf(b, "  %s  %s (%s, %s): %s\n", passWord(c.OK), c.Name, c.Type, c.Severity, c.Reason)
	}
}

func debugDjango(b *strings.Builder, r *Result) {
	if !r.DetectDebug && !r.DetectHost && r.AllowedHosts == nil && r.Login == nil && r.Assets == nil && r.Release == "" {
		return
	}
	b.WriteString("\nDjango:\n")
	if r.DetectDebug {
		fmt.Fprintf(b, "  DEBUG page exposed: %s\n", yesNo(r.DebugPage))
	}
	if r.DetectHost {
		fmt.Fprintf(b, "  Host refused by ALLOWED_HOSTS: %s\n", yesNo(r.DisallowedHost))
	}
	if c := r.Canary; c != nil {
		fmt.Fprintf(b, "  Debug canary %s: %s\n", c.URL, c.Detail)
	}
	if a := r.AllowedHosts; a != nil {
		fmt.Fprintf(b, "  Forged Host %s: %s\n", a.Host, a.Detail)
	}
	debugLogin(b, r.Login)
	if r.Release != "" {
		fmt.Fprintf(b, "  Release: %s\n", r.Release)
	}
	debugAssets(b, r.Assets)
}

// debugAssets lists each broken static asset with its status and why.
func debugAssets(b *strings.Builder, a *AssetsResult) {
	if a == nil {
		return
	}
	if a.NotRead != "" {
		fmt.Fprintf(b, "  Static assets: %s\n", a.NotRead)
		return
	}
	fmt.Fprintf(b, "  Static assets: %d checked, %d broken", a.Checked, len(a.Broken))
	if a.OtherHosts > 0 {
		fmt.Fprintf(b, ", %d on hosts not listed (not fetched)", a.OtherHosts)
	}
	if a.OverMax > 0 {
		fmt.Fprintf(b, ", %d past max (not fetched)", a.OverMax)
	}
	b.WriteByte('\n')
	for _, as := range a.Broken {
		status := "no answer"
		if as.Status != 0 {
			status = fmt.Sprintf("HTTP %d", as.Status)
		}
		fmt.Fprintf(b, "    BROKEN  %s (%s, %s): %s\n", as.URL, as.Kind, status, as.Why)
	}
}

func debugLogin(b *strings.Builder, l *LoginResult) {
	if l == nil {
		return
	}
	if l.Success {
		fmt.Fprintf(b, "  Login: logged in, landed on %s\n", l.Landed)
	} else {
		fmt.Fprintf(b, "  Login: FAILED at %s: %s\n", l.Step, l.Detail)
	}
	for i, step := range loginSteps {
		fmt.Fprintf(b, "    %-8s %.4fs\n", step, l.Durations[i])
	}
	if l.Logout != "" {
		fmt.Fprintf(b, "  Logout: %s\n", l.Logout)
	}
}

func debugHealth(b *strings.Builder, r *Result) {
	if r.HealthFormat == "" {
		return
	}
	fmt.Fprintf(b, "\nHealth-check backends (%s):\n", r.HealthFormat)
	for _, hb := range r.HealthChecks {
		state := "UP  "
		if !hb.Up {
			state = "DOWN"
		}
		if hb.Timed {
			fmt.Fprintf(b, "  %s  %s: %s (%.3fs)\n", state, hb.Name, hb.Message, hb.Seconds)
			continue
		}
		fmt.Fprintf(b, "  %s  %s: %s\n", state, hb.Name, hb.Message)
	}
}

func debugLog(b *strings.Builder, r *Result) {
	b.WriteString("\nLogs for the probe:\n")
	for _, rec := range r.Log {
		fmt.Fprintf(b, "  +%.4fs %-5s %s", rec.Time.Sub(r.Start).Seconds(), strings.ToLower(rec.Level.String()), rec.Message)
		rec.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(b, " %s=%q", a.Key, a.Value.String())
			return true
		})
		b.WriteByte('\n')
	}
}

func metricsText(r *Result) string { return string(r.AppendText(nil)) }

func passWord(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
