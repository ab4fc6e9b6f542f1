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

// Command django_health_exporter probes Django deployments for Prometheus
// and keeps the heartbeats of their background jobs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	// Time zones for heartbeat schedules even where the system has none.
	_ "time/tzdata"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/probe"
)

const name = "django_health_exporter"

func main() {
	// The live heap is a megabyte or two while every probe allocates tens
	// of kilobytes of TLS buffers: with Go's default the collector runs
	// every few dozen probes and costs more CPU than the probe's own work
	// (make bench). A 16 MiB floor instead of 4 MiB saves that for a few
	// MiB of memory; GOGC in the environment still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:]))
}

// serveFlags are the flags of the default command.
type serveFlags struct {
	configFile    string
	configCheck   bool
	storagePath   string
	timeoutOffset float64
	historyLimit  int
	web           *web.FlagConfig
	log           *promslog.Config
}

func run(args []string) int {
	app := kingpin.New(name, "Probes Django deployments for Prometheus (/probe) and keeps the heartbeats of their Celery, cron and deploy jobs (/heartbeat).")
	app.Version(version.Print(name))
	app.HelpFlag.Short('h')

	var f serveFlags
	app.Flag("config.file", "Configuration file. Without it the embedded default configuration is used.").StringVar(&f.configFile)
	app.Flag("config.check", "Validate the configuration (and --web.config.file) and exit.").BoolVar(&f.configCheck)
	app.Flag("storage.path", "Directory for heartbeat state.").Default("data/").StringVar(&f.storagePath)
	app.Flag("timeout-offset", "Seconds taken off Prometheus's scrape timeout for a probe.").Default("0.5").Float64Var(&f.timeoutOffset)
	app.Flag("history.limit", "How many recent probes, and separately recent failed probes, the status page keeps.").Default("100").IntVar(&f.historyLimit)
	f.web = kingpinflag.AddFlags(app, ":9716")
	f.log = &promslog.Config{}
	promslogflag.AddFlags(app, f.log)

	serveCmd := app.Command("serve", "Run the exporter (the default command).").Default()

	var c clientFlags
	pingCmd := app.Command("ping", "Send one heartbeat ping (for cron jobs and scripts).")
	pingCmd.Arg("name", "Heartbeat name.").Required().StringVar(&c.name)
	c.add(pingCmd)
	var pingStart, pingFail, pingLog bool
	var pingExit int
	var pingRID, pingMessage string
	pingCmd.Flag("start", "Report that a run started.").BoolVar(&pingStart)
	pingCmd.Flag("fail", "Report that a run failed.").BoolVar(&pingFail)
	pingCmd.Flag("log", "Only send a message.").BoolVar(&pingLog)
	pingCmd.Flag("exit-status", "Report a run's exit status (0: success).").Default("-1").IntVar(&pingExit)
	pingCmd.Flag("rid", "Run id pairing a start with its end.").StringVar(&pingRID)
	pingCmd.Flag("message", "Message to keep with the ping ('-' reads standard input).").StringVar(&pingMessage)

	runCmd := app.Command("run", "Run a command between a start ping and a ping with its exit status and the tail of its output; exit with its status.")
	runCmd.Arg("name", "Heartbeat name.").Required().StringVar(&c.name)
	var runArgv []string
	var tailBytes int
	runCmd.Arg("command", "The command and its arguments, after --.").Required().StringsVar(&runArgv)
	runCmd.Flag("tail-bytes", "How much of the end of the output to send.").Default("10240").IntVar(&tailBytes)
	c.add(runCmd)

	command, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 2
	}
	switch command {
	case serveCmd.FullCommand():
		return serve(f)
	case pingCmd.FullCommand():
		action, err := pingAction(pingStart, pingFail, pingLog, pingExit)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s ping: %v\n", name, err)
			return 2
		}
		return c.ping(action, pingRID, pingMessage)
	case runCmd.FullCommand():
		return c.run(runArgv, tailBytes)
	}
	return 2
}

// clientFlags are the flags of ping and run.
type clientFlags struct {
	name      string
	url       string
	token     string
	tokenFile string
}

func (c *clientFlags) add(cmd *kingpin.CmdClause) {
	cmd.Flag("url", "The exporter's address.").Default("http://localhost:9716").Envar("DJANGO_HEALTH_EXPORTER_URL").StringVar(&c.url)
	cmd.Flag("token-file", "File holding the heartbeat's bearer token.").Envar("DJANGO_HEALTH_EXPORTER_TOKEN_FILE").StringVar(&c.tokenFile)
	cmd.Flag("token", "The heartbeat's bearer token (prefer --token-file: arguments are visible in ps).").Envar("DJANGO_HEALTH_EXPORTER_TOKEN").StringVar(&c.token)
}

func (c *clientFlags) client() (*collector.Client, error) {
	token := c.token
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, err
		}
		token = strings.TrimSpace(string(b))
	}
	return &collector.Client{URL: c.url, Token: token, Attempts: 3, Timeout: 10 * time.Second}, nil
}

func pingAction(start, fail, log bool, exit int) (string, error) {
	var actions []string
	if start {
		actions = append(actions, collector.KindStart)
	}
	if fail {
		actions = append(actions, collector.KindFail)
	}
	if log {
		actions = append(actions, collector.KindLog)
	}
	if exit >= 0 {
		if exit > 255 {
			return "", errors.New("--exit-status must be between 0 and 255")
		}
		actions = append(actions, fmt.Sprint(exit))
	}
	switch len(actions) {
	case 0:
		return "", nil
	case 1:
		return actions[0], nil
	}
	return "", errors.New("give at most one of --start, --fail, --log and --exit-status")
}

func (c *clientFlags) ping(action, rid, message string) int {
	client, err := c.client()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s ping: %v\n", name, err)
		return 1
	}
	body := []byte(message)
	if message == "-" {
		if body, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20)); err != nil {
			fmt.Fprintf(os.Stderr, "%s ping: reading standard input: %v\n", name, err)
			return 1
		}
	}
	if err := client.Ping(context.Background(), c.name, action, rid, body); err != nil {
		fmt.Fprintf(os.Stderr, "%s ping %s: %v\n", name, c.name, err)
		return 1
	}
	return 0
}

func (c *clientFlags) run(argv []string, tailBytes int) int {
	client, err := c.client()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s run: %v\n", name, err)
		return 1
	}
	return client.Run(context.Background(), c.name, argv, collector.RunOptions{
		TailBytes: tailBytes,
		Stdin:     os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Warn: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "%s run: "+format+"\n", append([]any{name}, args...)...)
		},
	})
}

func serve(f serveFlags) int {
	logger := promslog.New(f.log)
	load := func() (*config.Config, error) {
		if f.configFile == "" {
			return config.LoadDefault(), nil
		}
		return config.LoadFile(f.configFile)
	}
	userAgent := name + "/" + version.Version

	if f.configCheck {
		return checkConfig(load, userAgent, f.web)
	}

	metrics := collector.NewExporterMetrics(prometheus.DefaultRegisterer)
	store, err := collector.OpenStore(f.storagePath)
	if err != nil {
		logger.Error("Error opening the heartbeat store", "err", err)
		return 1
	}
	defer func() {
		if err := store.Close(); err != nil {
			logger.Error("Error closing the heartbeat store", "err", err)
		}
	}()
	heartbeats, err := collector.NewHeartbeats(store, prometheus.DefaultRegisterer, logger)
	if err != nil {
		logger.Error("Error reading the heartbeat store", "err", err)
		return 1
	}
	var prober atomic.Pointer[probe.Prober]
	apply := func(cfg *config.Config) error {
		p, err := probe.NewProber(cfg, userAgent)
		if err != nil {
			return err
		}
		prober.Store(p)
		heartbeats.Apply(cfg)
		return nil
	}
	reloader := collector.NewReloader(load, apply, metrics, logger)
	logger.Info("Starting "+name, "version", version.Info(), "config", configName(f.configFile))
	logger.Info("Build context", "build_context", version.BuildContext())
	if err := reloader.Reload(); err != nil {
		return 1
	}

	history := probe.NewHistory(f.historyLimit)
	mux := http.NewServeMux()
	mux.Handle("/probe", &probe.Handler{
		Prober:        prober.Load,
		TimeoutOffset: time.Duration(f.timeoutOffset * float64(time.Second)),
		History:       history,
		Observer:      metrics,
		Logger:        logger,
	})
	mux.Handle("/logs", history.LogsHandler(func(module string) any {
		if m, ok := reloader.Config().Module(module); ok {
			return m
		}
		return nil
	}))
	mux.Handle("/metrics", collector.MetricsHandler(prometheus.DefaultGatherer, heartbeats, logger))
	mux.Handle("/heartbeat/", heartbeats.PingHandler())
	mux.Handle("/api/v1/heartbeats", heartbeats.APIHandler())
	mux.Handle("/sd", probe.SDHandler(reloader.Config))
	mux.Handle("/config", collector.ConfigHandler(reloader.Config))
	mux.Handle("/-/reload", reloader.Handler())
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Healthy\n")) })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Ready\n")) })
	mux.Handle("/debug/pprof/", http.DefaultServeMux) // as Prometheus does
	mux.Handle("/", &collector.StatusPage{History: history, Heartbeats: heartbeats.Views, Logger: logger})

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = reloader.Reload()
		}
	}()

	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, f.web, logger) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("Error running HTTP server", "err", err)
			return 1
		}
	case <-ctx.Done():
		logger.Info("Shutting down")
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}
	return 0
}

// checkConfig is --config.check: load everything a start would load.
func checkConfig(load func() (*config.Config, error), userAgent string, webFlags *web.FlagConfig) int {
	cfg, err := load()
	if err == nil {
		_, err = probe.NewProber(cfg, userAgent)
	}
	if err == nil && webFlags.WebConfigFile != nil && *webFlags.WebConfigFile != "" {
		err = web.Validate(*webFlags.WebConfigFile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("OK: %d modules, %d targets, %d heartbeats\n", len(cfg.Modules), len(cfg.Targets), len(cfg.Heartbeats))
	return 0
}

func configName(file string) string {
	if file == "" {
		return "embedded default"
	}
	return file
}
