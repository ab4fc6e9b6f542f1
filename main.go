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
// and keeps the heartbeats of their background jobs. This file only
// wires: the flags, the store, the heartbeats, the reloader and the
// routes (package web), and the ping and run commands (collector/client).
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/alecthomas/units"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	webtk "github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	// Time zones for heartbeat schedules even where the system has none.
	_ "time/tzdata"

	"github.com/django-health/django_health_exporter/collector"
	"github.com/django-health/django_health_exporter/collector/client"
	"github.com/django-health/django_health_exporter/config"
	"github.com/django-health/django_health_exporter/internal/gctune"
	"github.com/django-health/django_health_exporter/probe"
	"github.com/django-health/django_health_exporter/web"
)

const name = "django_health_exporter"

func main() {
	// In the child process that checks the heartbeat store before it is
	// opened (collector.StoreOptions), check it and exit.
	collector.CheckStoreAndExit()
	// A probe allocates tens of kilobytes of TLS buffers while the live
	// heap is a megabyte or two: the collector wants headroom (GOGC 400
	// cut its share of a probe from 120 to 20 µs, make bench). Thousands
	// of heartbeats are a large live heap that 400 would let grow five
	// times: the tuner gives the heap 12 MiB or a quarter of the live heap
	// to grow by, whichever is more (100,000 heartbeats, 135 MiB live and
	// 60 MiB more during a scrape: RSS 335 MiB at GOGC 100, 289 at 25;
	// make bench). GOGC in the environment still decides.
	if os.Getenv("GOGC") == "" {
		(&gctune.Tuner{Headroom: 12 << 20, MinPercent: 25, MaxPercent: 400}).Start()
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
	probeBudget   units.Base2Bytes
	enablePprof   bool
	readTimeout   time.Duration
	idleTimeout   time.Duration
	web           *webtk.FlagConfig
	log           *promslog.Config
}

func run(args []string) int {
	app := kingpin.New(name, "Probes Django deployments for Prometheus (/probe) and keeps the heartbeats of their Celery, cron and deploy jobs (/heartbeat). Serving is the default command: `"+name+" serve --help` lists its flags.")
	app.Version(version.Print(name))
	app.HelpFlag.Short('h')

	// The serving flags belong to the serve command (the default one, so
	// they may be given without it): ping --help and run --help list only
	// their own.
	serveCmd := app.Command("serve", "Run the exporter (the default command).").Default()
	var f serveFlags
	serveCmd.Flag("config.file", "Configuration file. Without it the embedded default configuration is used.").StringVar(&f.configFile)
	serveCmd.Flag("config.check", "Validate the configuration (and --web.config.file) and exit.").BoolVar(&f.configCheck)
	serveCmd.Flag("storage.path", "Directory for heartbeat state.").Default("data/").StringVar(&f.storagePath)
	serveCmd.Flag("timeout-offset", "Seconds taken off Prometheus's scrape timeout for a probe.").Default("0.5").Float64Var(&f.timeoutOffset)
	serveCmd.Flag("history.limit", "How many recent probes, and separately recent failed probes, the status page keeps.").Default("100").IntVar(&f.historyLimit)
	serveCmd.Flag("probe.memory-budget", "The most the probes in flight may hold at once (kept bodies and buffers); past it a probe is refused (503) or stops keeping its body (reason refused), rather than the exporter growing.").Default("128MiB").BytesVar(&f.probeBudget)
	serveCmd.Flag("web.enable-pprof", "Serve Go's profiler on /debug/pprof/ (it tells anyone who can reach it a lot about the process).").BoolVar(&f.enablePprof)
	serveCmd.Flag("web.read-timeout", "The most a client may take to send a request, body included.").Default("30s").DurationVar(&f.readTimeout)
	serveCmd.Flag("web.idle-timeout", "How long an idle keep-alive connection stays open.").Default("2m").DurationVar(&f.idleTimeout)
	f.web = kingpinflag.AddFlags(serveCmd, ":9716")
	f.log = &promslog.Config{Level: promslog.NewLevel(), Format: promslog.NewFormat()}
	serveCmd.Flag(promslogflag.LevelFlagName, promslogflag.LevelFlagHelp).Default("info").
		HintOptions(promslog.LevelFlagOptions...).SetValue(f.log.Level)
	serveCmd.Flag(promslogflag.FormatFlagName, promslogflag.FormatFlagHelp).Default("logfmt").
		HintOptions(promslog.FormatFlagOptions...).SetValue(f.log.Format)
	commands := client.AddCommands(app)

	command, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		if hint := client.ParseHint(args); hint != "" {
			fmt.Fprintln(os.Stderr, hint)
		}
		return 2
	}
	if status, ok := commands.Run(command); ok {
		return status
	}
	return serve(f)
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

	metrics := web.NewMetrics(prometheus.DefaultRegisterer)
	store, err := collector.OpenStore(f.storagePath, logger, collector.StoreOptions{CheckInChild: true})
	if err != nil {
		logger.Error("Error opening the heartbeat store", "err", err)
		return 1
	}
	defer func() {
		if err := store.Close(); err != nil {
			logger.Error("Error closing the heartbeat store", "err", err)
		}
	}()
	reloader := web.NewReloader(load, userAgent, metrics, logger)
	heartbeats, err := collector.NewHeartbeats(store, reloader.Config, prometheus.DefaultRegisterer, logger)
	if err != nil {
		logger.Error("Error reading the heartbeat store", "err", err)
		return 1
	}
	reloader.OnReload(heartbeats.Apply)
	prometheus.MustRegister(web.MaintenanceCollector(reloader.Config, heartbeats.MaintenanceWindows))
	logger.Info("Starting "+name, "version", version.Info(), "config", configName(f.configFile))
	logger.Info("Build context", "build_context", version.BuildContext())
	if err := reloader.Reload(); err != nil {
		return 1
	}

	srv := &http.Server{
		Handler: web.New(web.Options{
			Reloader: reloader, Heartbeats: heartbeats, Metrics: metrics, Gatherer: prometheus.DefaultGatherer,
			TimeoutOffset: time.Duration(f.timeoutOffset * float64(time.Second)),
			HistoryLimit:  f.historyLimit, EnablePprof: f.enablePprof, Logger: logger,
			ProbeBudget: probe.NewBudget(int64(f.probeBudget)),
		}),
		// A client trickling a body or holding idle connections must not
		// pin the exporter's connections and memory.
		ReadHeaderTimeout: min(10*time.Second, f.readTimeout),
		ReadTimeout:       f.readTimeout,
		IdleTimeout:       f.idleTimeout,
	}
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
	go func() { errc <- webtk.ListenAndServe(srv, f.web, logger) }()
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
func checkConfig(load func() (*config.Config, error), userAgent string, webFlags *webtk.FlagConfig) int {
	cfg, err := load()
	if err == nil {
		_, err = web.Build(cfg, userAgent)
	}
	if err == nil && webFlags.WebConfigFile != nil && *webFlags.WebConfigFile != "" {
		err = webtk.Validate(*webFlags.WebConfigFile)
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
