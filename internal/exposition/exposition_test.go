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

package exposition

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type job struct {
	name    string
	team    string
	up      bool
	runs    [2]float64 // success, fail
	started float64    // 0: not running
}

var jobFamilies = Prepare([]Family[*job]{
	{Name: "job_runs_total", Type: Counter, Help: "Runs by result.", Samples: func(j *job, s *Sampler) {
		s.Sample(j.runs[0], "result", "success")
		s.Sample(j.runs[1], "result", "fail")
	}},
	{Name: "job_started_timestamp_seconds", Type: Gauge, Help: "When the run in progress started.",
		Value: func(j *job) float64 { return j.started }, Present: func(j *job) bool { return j.started > 0 }},
	{Name: "job_up", Type: Gauge, Help: "1 while the job is \\ fine,\nwith a newline in the help.",
		Value: func(j *job) float64 { return boolValue(j.up) }},
})

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func jobLabels(j *job) []string { return []string{"job_name", j.name, "team", j.team} }

func parse(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("prometheus/common cannot parse the output: %v\n%s", err, text)
	}
	problems, err := promlint.New(bytes.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	return mfs
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// Many things, with label values that need escaping or are not UTF-8,
// are read back exactly by Prometheus's parser, and pass promlint.
func TestWriteRoundTrips(t *testing.T) {
	odd := "quote \" backslash \\ newline \n tick ✓"
	var jobs []*job
	for i := range 1500 { // several flushes
		jobs = append(jobs, &job{name: fmt.Sprintf("job-%04d", i), team: "web", up: i%2 == 0, runs: [2]float64{float64(i), 1}})
	}
	jobs[7].team = odd
	jobs[8].team = "bad \xff utf-8"
	jobs[9].started = 1.7e9
	var out bytes.Buffer
	if err := Write(&out, jobFamilies, jobs, jobLabels); err != nil {
		t.Fatal(err)
	}
	mfs := parse(t, out.Bytes())
	if n := len(mfs["job_up"].GetMetric()); n != len(jobs) {
		t.Errorf("job_up has %d series, want %d", n, len(jobs))
	}
	if n := len(mfs["job_runs_total"].GetMetric()); n != 2*len(jobs) {
		t.Errorf("job_runs_total has %d series, want %d", n, 2*len(jobs))
	}
	if ms := mfs["job_started_timestamp_seconds"].GetMetric(); len(ms) != 1 || ms[0].GetGauge().GetValue() != 1.7e9 {
		t.Errorf("the family only one job has: %v", ms)
	}
	found := map[string]bool{}
	for _, m := range mfs["job_up"].GetMetric() {
		l := labelsOf(m)
		switch l["job_name"] {
		case "job-0007":
			found["odd"] = l["team"] == odd
		case "job-0008":
			found["utf8"] = l["team"] == "bad \uFFFD utf-8"
		case "job-0011":
			found["value"] = m.GetGauge().GetValue() == 0
		}
	}
	for _, k := range []string{"odd", "utf8", "value"} {
		if !found[k] {
			t.Errorf("%s: not read back as written", k)
		}
	}
	if got := mfs["job_up"].GetHelp(); got != "1 while the job is \\ fine,\nwith a newline in the help." {
		t.Errorf("help = %q", got)
	}
	if mfs["job_runs_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("job_runs_total is not a counter")
	}
}

// A family no thing has is not written at all: a HELP without samples is
// noise, and promlint says so.
func TestWriteLeavesOutEmptyFamilies(t *testing.T) {
	var out bytes.Buffer
	if err := Write(&out, jobFamilies, []*job{{name: "a"}}, jobLabels); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "job_started_timestamp_seconds") {
		t.Errorf("empty family written:\n%s", out.String())
	}
	out.Reset()
	if err := Write(&out, jobFamilies, nil, jobLabels); err != nil || out.Len() != 0 {
		t.Errorf("no things: %q, %v", out.String(), err)
	}
}

// Append writes one thing's families, without labels of its own, and the
// special values as the format spells them.
func TestAppendOneThing(t *testing.T) {
	families := []Family[float64]{
		{Name: "probe_a", Type: Gauge, Help: "A.", Value: func(v float64) float64 { return v }},
		{Name: "probe_p", Type: Gauge, Help: "P.", Samples: func(v float64, s *Sampler) {
			s.Sample(math.Inf(1), "phase", "x")
			s.Sample(math.Inf(-1), "phase", "y")
			s.Sample(math.NaN(), "phase", "z")
		}},
		{Name: "probe_c", Type: Gauge, Help: "C.", Value: func(float64) float64 { return 1 }, Present: func(v float64) bool { return v > 0 }},
	}
	text := Append([]byte("# prefix kept\n"), families, -0.5)
	want := "# prefix kept\n" +
		"# HELP probe_a A.\n# TYPE probe_a gauge\nprobe_a -0.5\n" +
		"# HELP probe_p P.\n# TYPE probe_p gauge\nprobe_p{phase=\"x\"} +Inf\nprobe_p{phase=\"y\"} -Inf\nprobe_p{phase=\"z\"} NaN\n"
	if string(text) != want {
		t.Errorf("got:\n%s\nwant:\n%s", text, want)
	}
	parse(t, text)
}

func BenchmarkWrite10000(b *testing.B) {
	jobs := make([]*job, 10000)
	for i := range jobs {
		jobs[i] = &job{name: fmt.Sprintf("job-%d", i), team: "web", up: true, runs: [2]float64{3, 1}}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Write(&bytes.Buffer{}, jobFamilies, jobs, jobLabels)
	}
}
