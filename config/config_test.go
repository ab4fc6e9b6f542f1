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

package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/django-health/django_health_exporter/internal/reliability"
)

func loadContract(t *testing.T) *Config {
	t.Helper()
	raw, err := os.ReadFile("testdata/contract.yml")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "nightly")
	if err := os.WriteFile(tokenFile, []byte("s3cret-nightly\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]byte(strings.ReplaceAll(string(raw), "TOKEN_FILE", tokenFile)))
	if err != nil {
		t.Fatalf("the contract's example config must load: %v", err)
	}
	return c
}

func TestContractExampleLoads(t *testing.T) {
	c := loadContract(t)

	m, ok := c.Module("django")
	if !ok {
		t.Fatal("module django missing")
	}
	if got := time.Duration(m.Timeout); got != 10*time.Second {
		t.Errorf("timeout = %v", got)
	}
	if m.HTTP.Headers["Accept"] != "text/html" || len(m.HTTP.ValidStatusCodes) != 1 || m.HTTP.ValidStatusCodes[0] != 200 {
		t.Errorf("http = %+v", m.HTTP)
	}
	if !m.HTTP.HTTPClientConfig.FollowRedirects {
		t.Error("follow_redirects should be true")
	}
	if m.HTTP.BodySizeLimit != 10<<20 {
		t.Errorf("body_size_limit = %d", m.HTTP.BodySizeLimit)
	}
	wantTypes := []string{CheckKeyword, CheckForbidKeyword, CheckRegex, CheckForbidRegex, CheckJSON, CheckSHA256, CheckMaxLatency, CheckMinCertValidity, CheckHeader}
	if len(m.Checks) != len(wantTypes) {
		t.Fatalf("got %d checks", len(m.Checks))
	}
	for i, c := range m.Checks {
		if c.Type() != wantTypes[i] {
			t.Errorf("checks[%d] type %q, want %q", i, c.Type(), wantTypes[i])
		}
	}
	if !m.Checks[2].Regex.MatchString("© 2026") {
		t.Error("footer regex was not compiled as written")
	}
	if got := time.Duration(*m.Checks[7].MinCertValidity); got != 14*24*time.Hour {
		t.Errorf("min_cert_validity = %v", got)
	}
	if segs := m.Checks[4].JSON.Segments(); len(segs) != 1 || segs[0] != "status" || *m.Checks[4].JSON.Equals != "ok" {
		t.Errorf("json check = %+v", m.Checks[4].JSON)
	}

	tg, ok := c.Target("shop-home")
	if !ok || tg.URL != "https://shop.example.com/" || tg.Labels["team"] != "web" {
		t.Errorf("target = %+v", tg)
	}
	if byURL, ok := c.Target("https://shop.example.com/"); !ok || byURL != tg {
		t.Error("a target is found by its URL too")
	}

	nightly, ok := heartbeatByName(c, "nightly-report")
	if !ok {
		t.Fatal("heartbeat nightly-report missing")
	}
	if nightly.BearerToken() != "s3cret-nightly" {
		t.Errorf("token from file = %q", nightly.BearerToken())
	}
	if nightly.Location().String() != "Europe/Berlin" || nightly.CronSchedule() == nil {
		t.Errorf("schedule not parsed: %v %v", nightly.Location(), nightly.CronSchedule())
	}
	if nightly.GraceDuration() != 30*time.Minute || time.Duration(nightly.MaxRuntime) != time.Hour {
		t.Errorf("grace/max_runtime = %v/%v", nightly.GraceDuration(), nightly.MaxRuntime)
	}
	beat, _ := heartbeatByName(c, "celery-beat")
	if beat.BodyLimitBytes() != 10<<10 || beat.CronSchedule() != nil || time.Duration(beat.Interval) != 5*time.Minute {
		t.Errorf("celery-beat = %+v", beat)
	}
}

func TestDefaultConfig(t *testing.T) {
	c := LoadDefault()
	m, ok := c.Module(DefaultModuleName)
	if !ok {
		t.Fatal("the default config has no django module")
	}
	if !m.Django.DetectDebug || !m.Django.DetectDisallowedHost || m.Django.HealthCheck != HealthCheckAuto {
		t.Errorf("django detectors = %+v", m.Django)
	}
	if len(m.HTTP.ValidStatusCodes) != 0 {
		t.Errorf("default module must accept any 2xx, has %v", m.HTTP.ValidStatusCodes)
	}
	for _, name := range []string{"django_health_check", "watchman", "django_admin"} {
		if _, ok := c.Module(name); !ok {
			t.Errorf("default config lacks module %s", name)
		}
	}
	if c.AllowList() != nil {
		t.Error("the default config allows every target")
	}
}

func TestBuiltinModulesAddedWhenMissing(t *testing.T) {
	c, err := Load([]byte("modules:\n  api:\n    timeout: 3s\n  watchman:\n    timeout: 2s\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := c.Module("django")
	if !ok || time.Duration(m.Timeout) != 10*time.Second || !m.Django.DetectDebug {
		t.Errorf("built-in django module = %+v, %v", m, ok)
	}
	if m, ok := c.Module("django_health_check"); !ok || m.Django.HealthCheck != HealthCheckDHC {
		t.Errorf("built-in django_health_check module = %+v, %v", m, ok)
	}
	// A module of the file replaces the built-in one of the same name.
	if m := c.Modules["watchman"]; time.Duration(m.Timeout) != 2*time.Second || m.Django.HealthCheck != HealthCheckAuto {
		t.Errorf("the file's watchman module = %+v", m)
	}
	// A module written with no keys gets every default.
	c, err = Load([]byte("modules:\n  bare:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Modules["bare"]; time.Duration(m.Timeout) != 10*time.Second || m.HTTP.Method != http.MethodGet {
		t.Errorf("bare module = %+v", m)
	}
}

// An empty file is an error, not a configuration with nothing in it: on
// reload it would turn allow_targets and every heartbeat off.
func TestEmptyFile(t *testing.T) {
	for _, empty := range []string{"", "\n\n", "# only a comment\n", "---\n", "---\n# comment\n...\n", "~\n", "null\n"} {
		if _, err := Load([]byte(empty)); err == nil || !strings.Contains(err.Error(), "the file is empty") {
			t.Errorf("%q: err = %v, want the file is empty", empty, err)
		}
	}
	reliability.Record(t, "configuration", "an empty file: nothing, blank lines, only comments, ---, ~, null", "refused: the file is empty")
	c, err := Load([]byte("modules: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Module("django"); !ok || c.HeartbeatDefaults.MaxHeartbeats != 1000 {
		t.Errorf("a file with only modules: {} = %+v", c)
	}
}

// Thousands of mistakes are reported at once, in linear time: the first
// 100 with their lines and keys, then a count.
func TestManyProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("heartbeats:\n")
	const n = 20000
	for i := range n {
		fmt.Fprintf(&b, "  - {name: 'bad name %d', body_limit: 2MiB}\n", i)
	}
	_, err := Load([]byte(b.String()))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	if len(ce.Problems) != maxProblems || ce.Omitted != 2*n+1-maxProblems { // and max_heartbeats
		t.Errorf("%d problems listed, %d omitted; want %d and %d", len(ce.Problems), ce.Omitted, maxProblems, 2*n+1-maxProblems)
	}
	if !strings.HasPrefix(ce.Problems[0], `line 2: heartbeats[0].name: invalid heartbeat name "bad name 0"`) ||
		!strings.HasPrefix(ce.Problems[1], "line 2: heartbeats[0].body_limit: must be between 1 byte and 1MiB") {
		t.Errorf("first problems = %q", ce.Problems[:2])
	}
	if !strings.HasSuffix(err.Error(), fmt.Sprintf("... and %d more problems", 2*n+1-maxProblems)) {
		t.Errorf("the count is missing: %s", err.Error()[len(err.Error())-80:])
	}
	reliability.Record(t, "configuration", "a file with 20,000 heartbeats, each wrong twice, and one with 20,000 unknown keys", "the first 100 problems with line and key, and a count of the rest")

	// Unknown keys go through yaml.v3's own errors, also capped.
	b.Reset()
	b.WriteString("heartbeats:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: a%d, intervall: 5m}\n", i)
	}
	_, err = Load([]byte(b.String()))
	if !errors.As(err, &ce) || len(ce.Problems) != maxProblems || ce.Omitted != n-maxProblems {
		t.Fatalf("unknown keys: %d listed, %d omitted", len(ce.Problems), ce.Omitted)
	}
	if ce.Problems[99] != `line 101: heartbeats[99].intervall: unknown key "intervall"` {
		t.Errorf("100th problem = %q", ce.Problems[99])
	}
}

// Validation reports and never changes: a normalised configuration comes
// out of it as it went in.
func TestValidateIsPure(t *testing.T) {
	doc := `
modules:
  bearer:
    http: {bearer_token: abc, headers: {X-A: b}, compression: GZIP}
    checks:
      - {forbid_regex: 'x+'}
      - {json: {path: a.b, matches: '^o'}}
      - {sha256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855}
targets:
  - {name: shop, url: 'https://u:p@shop.example.com/', labels: {team: web}}
heartbeat_defaults: {grace: 2m, token: t}
heartbeats:
  - {name: nightly, schedule: '30 2 * * *', timezone: Europe/Berlin}
  - {name: beat}
`
	var c Config
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	c.normalize("", LoadDefault().Modules)
	before, err := yaml.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal([]byte(doc), &root)
	v := &validator{root: &root}
	c.validate(v)
	if err := v.problems.err(); err != nil {
		t.Fatal(err)
	}
	after, _ := yaml.Marshal(&c)
	if string(before) != string(after) {
		t.Errorf("validate changed the configuration:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// What normalize did: common's bearer_token became an authorization,
	// the defaults reached the heartbeats, values are in one form.
	for _, want := range []string{"authorization:", "compression: gzip", "sha256: e3b0c442", "grace: 2m"} {
		if !strings.Contains(string(after), want) {
			t.Errorf("normalised configuration lacks %q:\n%s", want, after)
		}
	}
}

func TestDefaultCheckNames(t *testing.T) {
	c, err := Load([]byte(`
modules:
  m:
    checks:
      - keyword: Acme Shop
      - forbid_regex: "Traceback.*"
      - json: {path: status}
      - max_latency: 2s
      - header: {name: X-Frame-Options}
      - sha256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"keyword:Acme Shop", "forbid_regex:Traceback.*", "json:status", "max_latency:2s", "header:X-Frame-Options", "sha256:e3b0c44298fc"}
	for i, ch := range c.Modules["m"].Checks {
		if ch.Name != want[i] {
			t.Errorf("checks[%d].name = %q, want %q", i, ch.Name, want[i])
		}
	}
	if c.Modules["m"].Checks[5].SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Error("sha256 is normalised to lower case")
	}
}

// Every bad config names the line and the key.
func TestErrorsNameLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top key", "modulez: {}\n", []string{`line 1: modulez: unknown key "modulez"`}},
		{"unknown module key", "modules:\n  x:\n    htp: {}\n", []string{`line 3: modules.x.htp: unknown key "htp"`}},
		{"unknown http key", "modules:\n  x:\n    http:\n      bogus: 1\n", []string{`line 4: modules.x.http.bogus: unknown key "bogus"`}},
		{"unknown check key", "modules:\n  x:\n    checks:\n      - {keyword: a, regexp: b}\n", []string{`line 4: modules.x.checks[0].regexp: unknown key "regexp"`}},
		{"unknown heartbeat key", "heartbeats:\n  - name: a\n    intervall: 5m\n", []string{`line 3: heartbeats[0].intervall: unknown key "intervall"`}},
		{"bad duration", "modules:\n  x:\n    timeout: 10x\n", []string{`line 3: modules.x.timeout:`, `"10x"`}},
		{"bad size", "modules:\n  x:\n    http:\n      body_size_limit: 10QB\n", []string{`line 4: modules.x.http.body_size_limit: invalid size "10QB"`}},
		{"bad status code type", "modules:\n  x:\n    http:\n      valid_status_codes: [abc]\n", []string{"line 4: modules.x.http.valid_status_codes[0]: cannot unmarshal"}},
		{"bad status code", "modules:\n  x:\n    http:\n      valid_status_codes: [200, 999]\n", []string{"line 4: modules.x.http.valid_status_codes[1]: 999 is not an HTTP status code"}},
		{"bad regex", "modules:\n  x:\n    checks:\n      - {name: a, regex: '('}\n", []string{`line 4: modules.x.checks[0].regex: invalid regular expression "("`}},
		{"bad json regex", "modules:\n  x:\n    checks:\n      - json:\n          path: a\n          matches: '['\n", []string{`line 6: modules.x.checks[0].json.matches: invalid regular expression`}},
		{"two kinds", "modules:\n  x:\n    checks:\n      - {keyword: a, regex: b}\n", []string{"line 4: modules.x.checks[0]: check has several kinds (keyword, regex)"}},
		{"no kind", "modules:\n  x:\n    checks:\n      - {name: a}\n", []string{"line 4: modules.x.checks[0]: check has no kind"}},
		{"dup check", "modules:\n  x:\n    checks:\n      - {name: a, keyword: a}\n      - {name: a, keyword: b}\n", []string{`line 5: modules.x.checks[1].name: check name "a" is already used by checks[0]`}},
		{"bad sha", "modules:\n  x:\n    checks:\n      - {sha256: abc}\n", []string{"line 4: modules.x.checks[0].sha256: want the 64 hex digits"}},
		{"json no path", "modules:\n  x:\n    checks:\n      - {json: {equals: ok}}\n", []string{"line 4: modules.x.checks[0].json.path: a json check needs a path"}},
		{"json both", "modules:\n  x:\n    checks:\n      - {json: {path: a, equals: ok, matches: o}}\n", []string{"line 4: modules.x.checks[0].json: give equals or matches"}},
		{"zero latency", "modules:\n  x:\n    checks:\n      - {max_latency: 0s}\n", []string{"line 4: modules.x.checks[0].max_latency: must be greater than 0"}},
		{"header no name", "modules:\n  x:\n    checks:\n      - {header: {regex: a}}\n", []string{"line 4: modules.x.checks[0].header.name: invalid or missing header name"}},
		{"bad health_check", "modules:\n  x:\n    django:\n      health_check: nagios\n", []string{`line 4: modules.x.django.health_check: unknown value "nagios"`}},
		{"bad tls version", "modules:\n  x:\n    http:\n      tls_config:\n        min_version: TLS19\n", []string{"line 5: modules.x.http.tls_config.min_version: unknown TLS version: TLS19"}},
		{"http client config", "modules:\n  x:\n    http:\n      basic_auth: {username: a}\n      authorization: {credentials: b}\n", []string{"line 3: modules.x.http: at most one of basic_auth"}},
		{"secret ref", "modules:\n  x:\n    http:\n      authorization: {credentials_ref: vault-key}\n", []string{"line 4: modules.x.http.authorization.credentials_ref: secret references (*_ref) are not supported"}},
		{"bad compression", "modules:\n  x:\n    http:\n      compression: zstd\n", []string{`line 4: modules.x.http.compression: unsupported compression "zstd"`}},
		{"bad header", "modules:\n  x:\n    http:\n      headers: {'Bad Header': x}\n", []string{`line 4: modules.x.http.headers.Bad Header: invalid header name`}},
		{"zero timeout", "modules:\n  x:\n    timeout: 0s\n", []string{"line 3: modules.x.timeout: must be greater than 0"}},
		{"login without user", "modules:\n  x:\n    django:\n      login:\n        password_file: /dev/null\n", []string{"line 4: modules.x.django.login.username: missing"}},
		{"login password file", "modules:\n  x:\n    django:\n      login:\n        username: probe\n        password_file: /nonexistent/pw\n", []string{"line 6: modules.x.django.login.password_file: cannot read the password file"}},
		{"login empty password", "modules:\n  x:\n    django:\n      login: {username: probe, password_file: /dev/null}\n", []string{"line 4: modules.x.django.login.password_file: password file /dev/null is empty"}},
		{"login no logout", "modules:\n  x:\n    django:\n      login: {url: /signin/, username: p, password_file: /dev/null}\n", []string{"modules.x.django.login.logout_url: cannot tell the logout URL"}},
		{"login bad url", "modules:\n  x:\n    django:\n      login: {url: 'admin/login/', username: p, password_file: /dev/null}\n", []string{`modules.x.django.login.url: path "admin/login/" must start with /`}},
		{"target no url", "targets:\n  - {name: a}\n", []string{"line 2: targets[0].url: a target needs a url"}},
		{"target ftp", "targets:\n  - {name: a, url: 'ftp://x/'}\n", []string{`line 2: targets[0].url: URL "ftp://x/" must start with http:// or https://`}},
		{"target module", "targets:\n  - {name: a, url: 'http://x/', module: nope}\n", []string{`line 2: targets[0].module: unknown module "nope" (known: django, django_admin, django_health_check, watchman)`}},
		{"target dup", "targets:\n  - {name: a, url: 'http://x/'}\n  - {name: a, url: 'http://y/'}\n", []string{`line 3: targets[1].name: target name "a" is used twice`}},
		{"target label", "targets:\n  - name: a\n    url: 'http://x/'\n    labels: {'bad-label': x}\n", []string{`line 4: targets[0].labels.bad-label: invalid label name "bad-label"`}},
		{"allow cidr", "allow_targets: ['10.0.0.0/33']\n", []string{`line 1: allow_targets[0]: invalid network "10.0.0.0/33"`}},
		{"allow junk", "allow_targets:\n  - '*.ok.com'\n  - 'a b'\n", []string{`line 3: allow_targets[1]: invalid host pattern "a b"`}},
		{"hb name", "heartbeats:\n  - name: 'a/b'\n", []string{`line 2: heartbeats[0].name: invalid heartbeat name "a/b"`}},
		{"hb dup", "heartbeats:\n  - name: a\n  - name: a\n", []string{`line 3: heartbeats[1].name: heartbeat "a" is already defined at heartbeats[0]`}},
		{"hb both", "heartbeats:\n  - name: a\n    interval: 5m\n    schedule: '@daily'\n", []string{"line 4: heartbeats[0].schedule: give interval or schedule, not both"}},
		{"hb cron", "heartbeats:\n  - name: a\n    schedule: '61 * * * *'\n", []string{`line 3: heartbeats[0].schedule: invalid cron schedule "61 * * * *"`}},
		{"hb cron tz", "heartbeats:\n  - name: a\n    schedule: 'TZ=UTC 1 * * * *'\n", []string{"line 3: heartbeats[0].schedule: put the time zone in the timezone key"}},
		{"hb every", "heartbeats:\n  - name: a\n    schedule: '@every 5m'\n", []string{"line 3: heartbeats[0].schedule: invalid cron schedule", "use the interval key"}},
		{"hb tz", "heartbeats:\n  - name: a\n    schedule: '@daily'\n    timezone: Mars/Olympus\n", []string{`line 4: heartbeats[0].timezone: unknown time zone "Mars/Olympus"`}},
		{"hb tz no schedule", "heartbeats:\n  - name: a\n    timezone: UTC\n", []string{"line 3: heartbeats[0].timezone: timezone only applies to a schedule"}},
		{"hb token both", "heartbeats:\n  - name: a\n    token: x\n    token_file: /etc/hostname\n", []string{"line 4: heartbeats[0].token_file: give token or token_file, not both"}},
		{"hb token missing", "heartbeats:\n  - name: a\n    token_file: /nonexistent/token\n", []string{"line 3: heartbeats[0].token_file: cannot read token file"}},
		{"hb label reserved", "heartbeats:\n  - name: a\n    labels: {heartbeat: x}\n", []string{`line 3: heartbeats[0].labels.heartbeat: label "heartbeat" is set by the exporter`}},
		{"hb body limit", "heartbeats:\n  - name: a\n    body_limit: 2MiB\n", []string{"line 3: heartbeats[0].body_limit: must be between 1 byte and 1MiB"}},
		{"hb expire_after", "heartbeat_defaults:\n  expire_after: soon\n", []string{"line 2: heartbeat_defaults.expire_after: not a valid duration"}},
		{"hb too many", "heartbeat_defaults: {max_heartbeats: 1}\nheartbeats:\n  - name: a\n  - name: b\n", []string{"line 1: heartbeat_defaults.max_heartbeats: 2 heartbeats are configured but max_heartbeats is 1"}},
		{"syntax", "modules:\n  x: [\n", []string{"line"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("no error for:\n%s", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSeveralProblemsReportedTogether(t *testing.T) {
	_, err := Load([]byte("modules:\n  x:\n    timeout: 0s\n    checks:\n      - {regex: '('}\nheartbeats:\n  - name: 'bad name'\n"))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, w := range []string{"line 3: modules.x.timeout", "line 5: modules.x.checks[0].regex", "line 7: heartbeats[0].name"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q missing from:\n%v", w, err)
		}
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(p, []byte("nope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": line 1: nope") {
		t.Errorf("error = %v", err)
	}
}

// Relative paths are relative to the config file, as in Prometheus.
func TestRelativePathsFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.yml")
	yml := "modules:\n  m:\n    http:\n      tls_config: {ca_file: certs/ca.pem}\nheartbeats:\n  - {name: a, token_file: token}\n"
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Modules["m"].HTTP.HTTPClientConfig.TLSConfig.CAFile; got != filepath.Join(dir, "certs/ca.pem") {
		t.Errorf("ca_file = %s", got)
	}
	if hb, _ := heartbeatByName(c, "a"); hb.BearerToken() != "tok" {
		t.Errorf("token from a relative token_file = %q", hb.BearerToken())
	}
}

func TestSecretsRedactedWhenMarshalled(t *testing.T) {
	c, err := Load([]byte(`
modules:
  m:
    http:
      basic_auth: {username: u, password: hunter2}
heartbeat_defaults:
  token: default-secret
heartbeats:
  - {name: a, token: hb-secret}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "default-secret", "hb-secret"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("marshalled config leaks %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(string(out), "<secret>") {
		t.Errorf("no <secret> placeholder in:\n%s", out)
	}
	// The marshalled form loads again (the /config page is a valid file).
	if _, err := Load(out); err != nil {
		t.Errorf("marshalled config does not load: %v\n%s", err, out)
	}
	hb, _ := heartbeatByName(c, "a")
	if hb.BearerToken() != "hb-secret" || c.HeartbeatDefaults.BearerToken() != "default-secret" {
		t.Error("tokens must still be usable in memory")
	}
}

func TestHeartbeatDefaultsApply(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(tok, []byte("file-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]byte("heartbeat_defaults:\n  grace: 2m\n  interval: 10m\n  body_limit: 1KiB\n  token_file: " + tok + "\nheartbeats:\n  - name: a\n  - {name: b, grace: 0s, token: own}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := heartbeatByName(c, "a")
	if a.GraceDuration() != 2*time.Minute || time.Duration(a.Interval) != 10*time.Minute || a.BodyLimitBytes() != 1024 || a.BearerToken() != "file-token" {
		t.Errorf("a = grace %v interval %v limit %d token %q", a.GraceDuration(), a.Interval, a.BodyLimitBytes(), a.BearerToken())
	}
	b, _ := heartbeatByName(c, "b")
	if b.GraceDuration() != 0 || b.BearerToken() != "own" {
		t.Errorf("b = grace %v token %q", b.GraceDuration(), b.BearerToken())
	}
	// An interval has no slots to be early for: the margin shown is at
	// most half of it, as for a schedule.
	if c, err := Load([]byte("heartbeats:\n  - {name: celery-worker@w1, interval: 1s, grace: 1m}\n")); err != nil {
		t.Errorf("a worker's heartbeat name with @: %v", err)
	} else if h, _ := heartbeatByName(c, "celery-worker@w1"); h.EarlyMarginDuration() != 500*time.Millisecond || h.ExclusiveRuns() {
		t.Errorf("early margin of a 1s interval: %v, exclusive %v", h.EarlyMarginDuration(), h.ExclusiveRuns())
	}
	auto := c.NewAutoHeartbeat("celery-worker-7")
	if time.Duration(auto.Interval) != 10*time.Minute || auto.GraceDuration() != 2*time.Minute || auto.BearerToken() != "file-token" {
		t.Errorf("auto = %+v", auto)
	}
}

func TestAllowList(t *testing.T) {
	a, problems := NewAllowList([]string{"*.example.com", "10.0.0.0/8", "192.0.2.7", "[2001:db8::1]", "Shop.Acme.org"})
	for _, p := range problems {
		if p != "" {
			t.Fatal(p)
		}
	}
	for host, want := range map[string]bool{
		"shop.example.com":   true,
		"a.b.example.com":    true,
		"SHOP.EXAMPLE.COM.":  true,
		"example.com":        false,
		"evil-example.com":   false,
		"example.com.evil.x": false,
		"shop.acme.org":      true,
		"acme.org":           false,
	} {
		if got := a.MatchName(host); got != want {
			t.Errorf("MatchName(%q) = %v, want %v", host, got, want)
		}
	}
	for ip, want := range map[string]bool{
		"10.1.2.3":        true,
		"11.0.0.1":        false,
		"192.0.2.7":       true,
		"192.0.2.8":       false,
		"2001:db8::1":     true,
		"::ffff:10.0.0.1": true,
		"169.254.169.254": false,
		"2001:db8::2":     false,
	} {
		if got := a.MatchIP(netip.MustParseAddr(ip)); got != want {
			t.Errorf("MatchIP(%s) = %v, want %v", ip, got, want)
		}
	}
	if !a.HasNetworks() {
		t.Error("HasNetworks")
	}
	var none *AllowList
	if !none.MatchName("anything") || !none.MatchIP(netip.MustParseAddr("127.0.0.1")) || none.HasNetworks() {
		t.Error("a nil list allows everything")
	}
}

func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		string(defaultYAML),
		"modules:\n  x:\n    checks:\n      - {regex: '('}\n",
		"heartbeats:\n  - {name: a, schedule: '30 2 * * *', timezone: Europe/Berlin}\n",
		"targets:\n  - {name: a, url: 'http://x/'}\nallow_targets: ['*.x', '10.0.0.0/8']\n",
		"modules: &a\n  x: *a\n",
		"a: &a [*a]\nmodules: {x: {timeout: 1q}}\n",
		"modules:\n  x:\n    http:\n      tls_config: {min_version: TLS13}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// A config that loads always has the default module and no nil entries.
		if _, ok := c.Module(DefaultModuleName); !ok {
			t.Fatal("no default module")
		}
		for name, m := range c.Modules {
			if m == nil {
				t.Fatalf("module %q is nil", name)
			}
			for _, ch := range m.Checks {
				if ch.Type() == "" || ch.Name == "" {
					t.Fatalf("check without type or name: %+v", ch)
				}
			}
		}
	})
}

// heartbeatByName finds a configured heartbeat.
func heartbeatByName(c *Config, name string) (*Heartbeat, bool) {
	for _, h := range c.Heartbeats {
		if h.Name == name {
			return h, true
		}
	}
	return nil, false
}

// What common leaves plain but is a secret all the same is hidden when the
// configuration is shown: sensitive module headers, OAuth2 endpoint
// parameters, passwords in URLs. The result still loads.
func TestMarshalRedacted(t *testing.T) {
	c, err := Load([]byte(`
modules:
  m:
    http:
      headers: {Authorization: "Bearer hunter2", Cookie: "sessionid=hunter2", X-Api-Key: hunter2, X-Trace-Id: visible}
      oauth2: {client_id: id, client_secret: hunter2, token_url: "https://auth.example.com/token", endpoint_params: {audience: hunter2}}
      proxy_url: "http://proxyuser:hunter2@proxy.example.com:3128"
targets:
  - {name: shop, url: "https://admin:hunter2@shop.example.com/"}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalRedacted(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") {
		t.Errorf("a secret is shown:\n%s", out)
	}
	for _, want := range []string{"X-Trace-Id: visible", "Authorization: <secret>", "X-Api-Key: <secret>", "audience: <secret>", "https://admin:xxxxx@shop.example.com/"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%q missing from:\n%s", want, out)
		}
	}
	if _, err := Load(out); err != nil {
		t.Errorf("the redacted configuration does not load: %v", err)
	}
	if !SensitiveHeader("X-Auth-Token") || !SensitiveHeader("proxy-authorization") || SensitiveHeader("Accept") || SensitiveHeader("Host") {
		t.Error("SensitiveHeader")
	}
}
