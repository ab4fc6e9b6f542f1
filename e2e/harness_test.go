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

package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run real programs: the exporter binary built from
// this tree, Django under gunicorn, Prometheus, Redis and Celery from
// Debian's packages. A missing program is a failure, never a skip: `make
// deps` (run by `make test`) installs them.

var (
	repoRoot    string
	exporterBin string
	buildOnce   sync.Once
	buildErr    error
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here runs the real binary, most of them with real
		// Django, Celery, Redis, Prometheus or Chromium: not the fast loop.
		fmt.Println("e2e: skipped with -short; make test runs it")
		os.Exit(0)
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	dir, err := os.MkdirTemp("", "dhe-e2e-")
	if err != nil {
		panic(err)
	}
	exporterBin = filepath.Join(dir, "django_health_exporter")
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// requireProgram fails the test when a prerequisite is missing.
func requireProgram(t testing.TB, path, debianPackage string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is missing: install Debian's %s (make deps does it)", path, debianPackage)
	}
}

func requirePython(t testing.TB, module, debianPackage string) {
	t.Helper()
	requireProgram(t, "/usr/bin/python3", "python3")
	if out, err := exec.Command("/usr/bin/python3", "-c", "import "+module).CombinedOutput(); err != nil {
		t.Fatalf("python module %s is missing (%s): install Debian's %s (make deps does it)", module, strings.TrimSpace(string(out)), debianPackage)
	}
}

// buildExporter builds the binary once for every test.
func buildExporter(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", exporterBin, ".")
		cmd.Dir = repoRoot
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return exporterBin
}

// runCmd runs a program to the end and returns its combined output.
func runCmd(argv ...string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a program started for a test, stopped (with its children) at
// the end, its output kept in a file shown when the test fails.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func start(t testing.TB, name string, dir string, env []string, argv ...string) *proc {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logFile.Name(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
		if t.Failed() {
			p.report(t)
		}
	})
	return p
}

// stop signals the process group and waits for the process to end.
func (p *proc) stop(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// report shows the end of the output of a program whose test failed:
// only the last lines, so that the failure itself stays in sight at the
// end of a CI log. With E2E_LOG_DIR set, the whole output is kept there.
func (p *proc) report(t testing.TB) {
	out := p.output()
	if dir := os.Getenv("E2E_LOG_DIR"); dir != "" {
		name := filepath.Join(dir, t.Name()+"-"+filepath.Base(p.log))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
			_ = os.WriteFile(name, []byte(out), 0o644)
		}
	}
	t.Logf("--- %s output (last lines; E2E_LOG_DIR keeps it whole) ---\n%s", p.name, lastLines(out, 15))
}

// lastLines returns the last n lines of s, each cut to 300 bytes.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitHTTP waits until url answers without a server error (Prometheus's
// /-/ready answers 503 until it is ready) or the process dies.
// waitClient asks whether a server is up, HTTPS certificates unchecked:
// a test's own servers have self-signed ones.
var waitClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}

func waitHTTP(t testing.TB, p *proc, u string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited early (%v):\n%s", p.name, p.err, tail(p.output(), 4000))
		default:
		}
		resp, err := waitClient.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %s within %v:\n%s", p.name, u, timeout, tail(p.output(), 4000))
}

// request sends one request; header holds name, value pairs.
func request(t testing.TB, method, u, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t testing.TB, u string, header ...string) (int, string) {
	t.Helper()
	return request(t, http.MethodGet, u, "", header...)
}

func post(t testing.TB, u, body string, header ...string) (int, string) {
	t.Helper()
	return request(t, http.MethodPost, u, body, header...)
}

// metricValue finds one sample in an exposition by its exact series text,
// e.g. `probe_success` or `probe_django_health_check_up{check="DatabaseBackend"}`.
func metricValue(t testing.TB, exposition, series string) (float64, bool) {
	t.Helper()
	for line := range strings.SplitSeq(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			if _, err := fmt.Sscanf(rest, "%g", &v); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

func wantMetric(t testing.TB, exposition, series string, want float64) {
	t.Helper()
	got, ok := metricValue(t, exposition, series)
	if !ok {
		t.Errorf("%s missing from:\n%s", series, tail(exposition, 3000))
		return
	}
	if got != want {
		t.Errorf("%s = %v, want %v", series, got, want)
	}
}

// django is the example project under gunicorn.
type django struct {
	url    string
	proc   *proc
	dbPath string
	// staticRoot is where collectstatic put the files (collectStatic).
	staticRoot string
}

// djangoOptions are the extras a test may want of a Django.
type djangoOptions struct {
	env []string
	// user and password make a superuser after the migration.
	user, password string
	// certFile and keyFile serve HTTPS (under gunicorn).
	certFile, keyFile string
	// collectStatic runs collectstatic into a STATIC_ROOT of the test's
	// (django.staticRoot, or staticRoot when set), as a deploy does.
	collectStatic bool
	staticRoot    string
	// port, when set, is where it listens: a restart in place.
	port int
}

// startDjango runs examples/django under Debian's gunicorn with extra
// environment (DJANGO_DEBUG=1 and so on).
func startDjango(t testing.TB, env ...string) *django {
	t.Helper()
	return startDjangoVersion(t, stableDjango, env...)
}

// venvPython is the Python of .build/venv, which .ci/python-venv (make
// deps) made over Debian's packages with the django-health-exporter
// package installed: Django, Celery and gunicorn run on it, so the end-to-
// end tests run the installed package.
func venvPython(t testing.TB) string {
	t.Helper()
	return venvPath(t, "venv")
}

// venvPath is the Python of a venv under .build: venv, or venv312 (pyenv's
// Python 3.12 with the package's wheel, for Django 6).
func venvPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot, ".build", name, "bin", "python")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run make deps (.ci/python-venv installs the Python package there)", p)
	}
	return p
}

// djangoVersion is a Django to run the example project on: Debian's own,
// or a newer one .ci/debian-newer unpacked into .build/debian.
type djangoVersion struct {
	name       string
	pythonPath []string // suites under .build/debian, first wins
	python     string   // "" is /usr/bin/python3
	runserver  bool     // Django's runserver instead of Debian's gunicorn (another Python)
	// healthCheck4 is set for django-health-check 4.x: reprs as backend
	// names, and OpenMetrics.
	healthCheck4 bool
}

var stableDjango = djangoVersion{name: "3.2"}

// newerDjangos are the version matrix: Django 4.2 with django-health-check
// 3.18 (trixie), 5.2 with 4.5 (sid), 6.1 (experimental) with 4.5 on Python
// 3.12 (pyenv's: Debian's gunicorn runs 3.11, Django 6 needs 3.12).
func newerDjangos(t testing.TB) []djangoVersion {
	t.Helper()
	py312 := []string{venvPath(t, "venv312")}
	return []djangoVersion{
		{name: "4.2", pythonPath: []string{"trixie"}},
		{name: "5.2", pythonPath: []string{"sid"}, healthCheck4: true},
		{name: "6.1", pythonPath: []string{"experimental", "sid"}, python: py312[len(py312)-1], runserver: true, healthCheck4: true},
	}
}

func (v djangoVersion) env(t testing.TB) []string {
	t.Helper()
	if len(v.pythonPath) == 0 {
		return nil
	}
	var dirs []string
	for _, suite := range v.pythonPath {
		dir := filepath.Join(repoRoot, ".build", "debian", suite, "usr", "lib", "python3", "dist-packages")
		if _, err := os.Stat(filepath.Join(dir, "django")); err != nil {
			t.Fatalf("Django from Debian %s is missing in %s: run make deps (.ci/debian-newer)", suite, dir)
		}
		dirs = append(dirs, dir)
	}
	return []string{"PYTHONPATH=" + strings.Join(dirs, ":")}
}

// startDjangoVersion runs examples/django on a Django version, under
// gunicorn or runserver, with extra environment.
func startDjangoVersion(t testing.TB, v djangoVersion, env ...string) *django {
	t.Helper()
	return startDjangoWith(t, v, djangoOptions{env: env})
}

// startDjangoWith runs examples/django on a Django version with options.
func startDjangoWith(t testing.TB, v djangoVersion, o djangoOptions) *django {
	t.Helper()
	env := o.env
	python := v.python
	if python == "" {
		python = venvPython(t)
		requireProgram(t, "/usr/bin/gunicorn", "gunicorn")
		if len(v.pythonPath) == 0 {
			requirePython(t, "django", "python3-django")
			requirePython(t, "health_check", "python3-django-health-check")
		}
	}
	project := filepath.Join(repoRoot, "examples", "django")
	dbDir := t.TempDir()
	base := append([]string{
		"DJANGO_DB_PATH=" + filepath.Join(dbDir, "db.sqlite3"),
		"DJANGO_MEDIA_ROOT=" + filepath.Join(dbDir, "media"),
		"PYTHONDONTWRITEBYTECODE=1",
	}, v.env(t)...)
	staticRoot := filepath.Join(dbDir, "static")
	if o.staticRoot != "" {
		staticRoot = o.staticRoot
	}
	base = append(base, "DJANGO_STATIC_ROOT="+staticRoot)
	all := append(base, env...)
	if o.collectStatic {
		// Not the admin's files: Debian's Django links its vendored
		// jQuery to a package the newer Djangos of .build/debian lack.
		collect := exec.Command(python, "manage.py", "collectstatic", "--noinput", "--ignore", "admin")
		collect.Dir = project
		collect.Env = append(os.Environ(), all...)
		if out, err := collect.CombinedOutput(); err != nil {
			t.Fatalf("collectstatic on Django %s: %v\n%s", v.name, err, out)
		}
	}
	migrate := exec.Command(python, "manage.py", "migrate", "--noinput")
	migrate.Dir = project
	migrate.Env = append(os.Environ(), all...)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate on Django %s: %v\n%s", v.name, err, out)
	}
	if o.user != "" {
		create := exec.Command(python, "manage.py", "createsuperuser", "--noinput", "--username", o.user, "--email", o.user+"@example.com")
		create.Dir = project
		create.Env = append(os.Environ(), append(all, "DJANGO_SUPERUSER_PASSWORD="+o.password)...)
		if out, err := create.CombinedOutput(); err != nil {
			t.Fatalf("createsuperuser on Django %s: %v\n%s", v.name, err, out)
		}
	}
	port := o.port
	if port == 0 {
		port = freePort(t)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var p *proc
	if v.runserver {
		p = start(t, "runserver-"+v.name, project, all, python, "manage.py", "runserver", "--noreload", addr)
	} else {
		// Debian's gunicorn, run by the venv's Python: the package is
		// installed there (.ci/python-venv), over Debian's packages.
		args := []string{python, "-m", "gunicorn", "--bind", addr, "--workers", "2", "--access-logfile", "-"}
		if o.certFile != "" {
			args = append(args, "--certfile", o.certFile, "--keyfile", o.keyFile)
		}
		p = start(t, "gunicorn-"+v.name, project, all, append(args, "shop.wsgi")...)
	}
	if o.certFile != "" {
		u := "https://" + addr
		waitHTTP(t, p, u+"/", 30*time.Second)
		return &django{url: u, proc: p, dbPath: filepath.Join(dbDir, "db.sqlite3")}
	}
	u := "http://" + addr
	waitHTTP(t, p, u+"/", 30*time.Second)
	return &django{url: u, proc: p, dbPath: filepath.Join(dbDir, "db.sqlite3"), staticRoot: staticRoot}
}

// exporter is the built binary, started with a config file.
type exporter struct {
	url     string
	proc    *proc
	cfgPath string
	storage string
}

func startExporter(t testing.TB, configYAML string, extraArgs ...string) *exporter {
	t.Helper()
	bin := buildExporter(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return startExporterWith(t, bin, cfgPath, filepath.Join(dir, "data"), extraArgs...)
}

func startExporterWith(t testing.TB, bin, cfgPath, storage string, extraArgs ...string) *exporter {
	t.Helper()
	port := freePort(t)
	args := []string{bin, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--storage.path", storage, "--log.level", "debug"}
	if cfgPath != "" {
		args = append(args, "--config.file", cfgPath)
	}
	args = append(args, extraArgs...)
	p := start(t, "exporter", repoRoot, nil, args...)
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, u+"/-/healthy", 20*time.Second)
	return &exporter{url: u, proc: p, cfgPath: cfgPath, storage: storage}
}

func (e *exporter) probe(t testing.TB, target, module string) string {
	t.Helper()
	q := url.Values{"target": {target}}
	if module != "" {
		q.Set("module", module)
	}
	code, body := get(t, e.url+"/probe?"+q.Encode())
	if code != 200 {
		t.Fatalf("/probe %s: %d %s", target, code, body)
	}
	return body
}

// prometheus runs Debian's Prometheus.
type prometheusServer struct {
	url  string
	proc *proc
}

func startPrometheus(t testing.TB, configYAML string, files map[string]string) *prometheusServer {
	t.Helper()
	requireProgram(t, "/usr/bin/prometheus", "prometheus")
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := start(t, "prometheus", dir, nil, "/usr/bin/prometheus",
		"--config.file", cfg,
		"--storage.tsdb.path", filepath.Join(dir, "tsdb"),
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--log.level", "warn")
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, u+"/-/ready", 30*time.Second)
	return &prometheusServer{url: u, proc: p}
}

// startAlertmanager runs Debian's Alertmanager with the example
// configuration and returns its URL.
func startAlertmanager(t testing.TB) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join(repoRoot, "examples/alertmanager/alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return startAlertmanagerWith(t, string(example))
}

// startAlertmanagerWith runs Debian's Alertmanager with a configuration
// and returns its URL.
func startAlertmanagerWith(t testing.TB, configYAML string) string {
	t.Helper()
	requireProgram(t, "/usr/bin/prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := start(t, "alertmanager", dir, nil, "/usr/bin/prometheus-alertmanager",
		"--config.file", cfg,
		"--storage.path", dir,
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--cluster.listen-address=")
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, p, u+"/-/ready", 30*time.Second)
	return u
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// query runs an instant query and returns its vector.
func (p *prometheusServer) query(t testing.TB, q string) []promSample {
	t.Helper()
	code, body := get(t, p.url+"/api/v1/query?"+url.Values{"query": {q}}.Encode())
	if code != 200 {
		t.Fatalf("query %s: %d %s", q, code, body)
	}
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&resp); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return resp.Data.Result
}

// promAlert is an alert as Prometheus's /api/v1/alerts lists it.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// alerts are the pending and firing alerts of Prometheus.
func (p *prometheusServer) alerts(t testing.TB) []promAlert {
	t.Helper()
	code, body := get(t, p.url+"/api/v1/alerts")
	if code != 200 {
		t.Fatalf("alerts: %d %s", code, body)
	}
	var resp struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("alerts: %v", err)
	}
	return resp.Data.Alerts
}

// firing finds a firing alert of Prometheus by its name.
func (p *prometheusServer) firing(t testing.TB, name string) (promAlert, bool) {
	t.Helper()
	for _, a := range p.alerts(t) {
		if a.Labels["alertname"] == name && a.State == "firing" {
			return a, true
		}
	}
	return promAlert{}, false
}

// eventually retries f until it returns "" or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if last = f(); last == "" {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("not true after %v: %s", timeout, last)
}

// combinedOutput runs cmd and returns its output and exit code; a command
// that cannot be started at all fails the test.
func combinedOutput(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return string(out), 0
}
