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

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/django-health/django_health_exporter/collector/wire"
)

// Commands are the ping, run, pause and resume subcommands of the exporter's binary.
type Commands struct {
	prog          string
	ping          *kingpin.CmdClause
	run           *kingpin.CmdClause
	pause         *kingpin.CmdClause
	resume        *kingpin.CmdClause
	mStart, mEnd  *kingpin.CmdClause
	window        window
	pauseFor      time.Duration
	pauseForSet   bool
	progressEvery time.Duration
	name          string
	url           string
	token         string
	tokenFile     string

	start, fail, log bool
	strict           bool
	exit             int
	rid, message     string

	argv      []string
	tailBytes int
	timeout   time.Duration
	release   string
}

// AddCommands adds ping, run, pause and resume to app.
func AddCommands(app *kingpin.Application) *Commands {
	c := &Commands{prog: app.Name}
	c.ping = app.Command("ping", "Send one heartbeat ping (for cron jobs and scripts).")
	c.ping.Arg("name", "Heartbeat name.").Required().StringVar(&c.name)
	c.connectionFlags(c.ping)
	c.ping.Flag("start", "Report that a run started.").BoolVar(&c.start)
	c.ping.Flag("fail", "Report that a run failed.").BoolVar(&c.fail)
	c.ping.Flag("log", "Only send a message.").BoolVar(&c.log)
	c.ping.Flag("exit-status", "Report a run's exit status (0: success).").Default("-1").IntVar(&c.exit)
	c.ping.Flag("rid", "Run id pairing a start with its end.").StringVar(&c.rid)
	c.ping.Flag("message", "Message to keep with the ping ('-' reads standard input).").StringVar(&c.message)
	c.ping.Flag("strict", "Exit with status 1 when the ping was not stored (by default a warning, status 0: monitoring must not fail the script that pings).").BoolVar(&c.strict)

	c.run = app.Command("run", "Run a command between a start ping and a ping with its exit status and the tail of its output; exit with its status.")
	c.run.Arg("name", "Heartbeat name.").Required().StringVar(&c.name)
	c.run.Arg("command", "The command and its arguments, after --.").Required().StringsVar(&c.argv)
	c.run.Flag("tail-bytes", "How much of the end of the output to send.").Default("10240").IntVar(&c.tailBytes)
	c.run.Flag("progress-every", "Send a progress ping this often while the command runs (e.g. 5m): a long run stays within its max_runtime. 0: never.").DurationVar(&c.progressEvery)
	c.connectionFlags(c.run)

	c.pause = app.Command("pause", "Pause a heartbeat (for deploys): no alert for it until --for has passed, or until its next ping.")
	c.pause.Arg("name", "Heartbeat name.").Required().StringVar(&c.name)
	c.pause.Flag("for", "How long (e.g. 30m; above 0, at most 366d); without it, until the heartbeat's next ping.").IsSetByUser(&c.pauseForSet).DurationVar(&c.pauseFor)
	c.connectionFlags(c.pause)
	c.pause.Flag("strict", "Exit with status 1 when the pause was not stored (by default a warning, status 0).").BoolVar(&c.strict)
	c.resume = app.Command("resume", "End a heartbeat's pause: it is due a full period plus grace from now.")
	c.resume.Arg("name", "Heartbeat name.").Required().StringVar(&c.name)
	c.connectionFlags(c.resume)
	c.resume.Flag("strict", "Exit with status 1 when the resume was not stored (by default a warning, status 0).").BoolVar(&c.strict)

	m := app.Command("maintenance", "Open or end a maintenance window from a deploy script: no alert for what it names while it is open.")
	c.mStart = m.Command("start", "Open a window (again: replace it) on the targets, heartbeats and labels named. --label celery='*' holds every heartbeat the Celery integration made.")
	c.mStart.Arg("name", "Window name (django_health_exporter_maintenance_active{window}).").Required().StringVar(&c.name)
	c.mStart.Flag("for", "How long it stays open at most (e.g. 30m; above 0, at most 366d).").Required().DurationVar(&c.window.for_)
	c.mStart.Flag("target", "A configured target to hold (repeatable).").StringsVar(&c.window.targets)
	c.mStart.Flag("heartbeat", "A heartbeat name or glob to pause (repeatable): 'celery-*'.").StringsVar(&c.window.heartbeats)
	c.window.labels = map[string]string{}
	c.mStart.Flag("label", "Hold every target and heartbeat with this label, K=V; V may be a glob, '*' any value (repeatable, all must match).").StringMapVar(&c.window.labels)
	c.connectionFlags(c.mStart)
	c.mStart.Flag("strict", "Exit with status 1 when the window was not stored (by default a warning, status 0).").BoolVar(&c.strict)
	c.mEnd = m.Command("end", "End a window: what it held is due a full period plus grace from now.")
	c.mEnd.Arg("name", "Window name.").Required().StringVar(&c.name)
	c.connectionFlags(c.mEnd)
	c.mEnd.Flag("strict", "Exit with status 1 when the end was not stored (by default a warning, status 0).").BoolVar(&c.strict)
	return c
}

// window is what maintenance start names.
type window struct {
	for_       time.Duration
	targets    []string
	heartbeats []string
	labels     map[string]string
}

func (c *Commands) connectionFlags(cmd *kingpin.CmdClause) {
	cmd.Flag("url", "The exporter's address; several, separated by commas, or dns+http://NAME:PORT (every address NAME resolves to, a headless Service) send to every replica.").Default("http://localhost:9716").Envar("DJANGO_HEALTH_EXPORTER_URL").StringVar(&c.url)
	cmd.Flag("token-file", "File holding the heartbeat's bearer token.").Envar("DJANGO_HEALTH_EXPORTER_TOKEN_FILE").StringVar(&c.tokenFile)
	cmd.Flag("token", "The heartbeat's bearer token (prefer --token-file: arguments are visible in ps).").Envar("DJANGO_HEALTH_EXPORTER_TOKEN").StringVar(&c.token)
	cmd.Flag("timeout", "The most the pings add to the job, every retry included.").Default(DefaultTimeout.String()).Envar("DJANGO_HEALTH_EXPORTER_TIMEOUT").DurationVar(&c.timeout)
	cmd.Flag("release", "The release this job runs (the commit a deploy ships): kept with the heartbeat, exported as heartbeat_release_info.").Envar("DJANGO_HEALTH_EXPORTER_RELEASE").StringVar(&c.release)
}

// Run runs the parsed command if it is one of these, and returns its exit
// status; ok is false for another command.
func (c *Commands) Run(command string) (status int, ok bool) {
	switch command {
	case c.ping.FullCommand():
		return c.doPing(), true
	case c.run.FullCommand():
		return c.doRun(), true
	case c.pause.FullCommand():
		if err := CheckPauseFor(c.pauseFor, c.pauseForSet); err != nil {
			c.warn("pause", "%v", err)
			return 2, true
		}
		return c.report("pause", c.client("pause").Pause(context.Background(), c.name, c.pauseFor)), true
	case c.resume.FullCommand():
		return c.report("resume", c.client("resume").Resume(context.Background(), c.name)), true
	case c.mStart.FullCommand():
		if err := CheckPauseFor(c.window.for_, true); err != nil {
			c.warn("maintenance start", "%v", err)
			return 2, true
		}
		w := c.window
		return c.report("maintenance window", c.client("maintenance start").MaintenanceStart(context.Background(), c.name, w.for_, w.targets, w.heartbeats, w.labels)), true
	case c.mEnd.FullCommand():
		return c.report("end of the maintenance window", c.client("maintenance end").MaintenanceEnd(context.Background(), c.name)), true
	}
	return 0, false
}

func (c *Commands) warn(cmd, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s: "+format+"\n", append([]any{c.prog, cmd}, args...)...)
}

// client is the configured client. A token file that cannot be read is
// a warning, not a reason to skip the job: the pings go without a token
// (and the exporter says 401, and logs it).
func (c *Commands) client(cmd string) *Client {
	token := c.token
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		switch {
		case err != nil:
			c.warn(cmd, "warning: cannot read the token file, pinging without a token: %v", err)
		case strings.TrimSpace(string(b)) == "":
			c.warn(cmd, "warning: the token file %s is empty, pinging without a token", c.tokenFile)
		default:
			token = strings.TrimSpace(string(b))
		}
	}
	return &Client{URL: c.url, Token: token, Timeout: c.timeout, Release: c.release}
}

func (c *Commands) doPing() int {
	action, err := PingAction(c.start, c.fail, c.log, c.exit)
	if err != nil {
		c.warn("ping", "%v", err)
		return 2
	}
	client := c.client("ping")
	body := []byte(c.message)
	if c.message == "-" {
		if body, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20)); err != nil {
			c.warn("ping", "warning: reading standard input: %v", err)
			body = nil
		}
	}
	return c.report("ping", client.Ping(context.Background(), c.name, action, c.rid, body))
}

// report turns the outcome of a command into its exit status: a
// monitoring problem is a warning and status 0 (it must not fail the
// script), unless --strict.
func (c *Commands) report(cmd string, err error) int {
	if err == nil {
		return 0
	}
	if c.strict {
		c.warn(cmd, "%s: %v", c.name, err)
		return 1
	}
	c.warn(cmd, "warning: %s: the %s was not stored: %v", c.name, cmd, err)
	return 0
}

func (c *Commands) doRun() int {
	return c.client("run").Run(context.Background(), c.name, c.argv, RunOptions{
		TailBytes: c.tailBytes, ProgressEvery: c.progressEvery,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Warn: func(format string, args ...any) { c.warn("run", format, args...) },
	})
}

// ParseHint is a hint for a command line that did not parse: the command
// of run given without -- (its flags were read as run's).
func ParseHint(args []string) string {
	if len(args) == 0 || args[0] != "run" {
		return ""
	}
	if slices.Contains(args, "--") {
		return ""
	}
	return "hint: put -- before the command, so that its flags stay its own: run NAME [flags] -- COMMAND ARGS..."
}

// PingAction is the action the ping command's flags ask for: "" for a
// success, start, fail, log or an exit status.
func PingAction(start, fail, log bool, exit int) (string, error) {
	var actions []string
	if start {
		actions = append(actions, wire.KindStart)
	}
	if fail {
		actions = append(actions, wire.KindFail)
	}
	if log {
		actions = append(actions, wire.KindLog)
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

// MaxPauseFor is the longest pause the exporter takes (config.MaxPause).
const MaxPauseFor = 366 * 24 * time.Hour

// CheckPauseFor refuses a --for that would pause for ever or not at all:
// 0 or less meant "until the next ping", which for a dead job never
// comes, so no alert would ever fire. A pause longer than the exporter
// takes, or finer than a millisecond (the exporter's durations), is
// refused here rather than answered 400 in the middle of a deploy.
func CheckPauseFor(d time.Duration, given bool) error {
	switch {
	case !given:
		return nil
	case d <= 0:
		return fmt.Errorf("--for %s: must be above 0 (leave --for out to pause until the next ping)", d)
	case d > MaxPauseFor:
		return fmt.Errorf("--for %s: at most 366d", d)
	case d%time.Millisecond != 0:
		return fmt.Errorf("--for %s: whole milliseconds only", d)
	}
	return nil
}
