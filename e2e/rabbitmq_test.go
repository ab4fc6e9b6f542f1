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
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// startRabbitMQ runs Debian's RabbitMQ as a node of its own (its own
// ports, data and Erlang cookie in a temporary directory) and returns
// its AMQP URL.
func startRabbitMQ(t *testing.T) string {
	t.Helper()
	const server = "/usr/lib/rabbitmq/bin/rabbitmq-server"
	requireProgram(t, server, "rabbitmq-server")
	requirePython(t, "amqp", "python3-amqp")
	dir := t.TempDir()
	port, dist := freePort(t), freePort(t)
	env := []string{
		"HOME=" + dir,
		fmt.Sprintf("RABBITMQ_NODENAME=e2e-%d@localhost", port),
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		fmt.Sprintf("RABBITMQ_NODE_PORT=%d", port),
		fmt.Sprintf("RABBITMQ_DIST_PORT=%d", dist),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(dir, "plugins"),
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(dir, "rabbitmq"),
		"RABBITMQ_PID_FILE=" + filepath.Join(dir, "pid"),
	}
	// epmd, Erlang's port mapper, leaves the node's process group: stop
	// it too once the node is gone (cleanups run last first, so this one,
	// registered before the node starts, runs after it is stopped).
	t.Cleanup(func() { _ = exec.Command("/usr/bin/epmd", "-kill").Run() })
	p := start(t, "rabbitmq", dir, env, server)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		check := exec.Command("/usr/bin/python3", "-c", fmt.Sprintf("import amqp; c = amqp.Connection('127.0.0.1:%d'); c.connect(); c.close()", port))
		if check.Run() == nil {
			return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d//", port)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("rabbitmq did not start:\n%s", p.output())
	return ""
}

// On RabbitMQ, beat measures each queue's length with a passive declare:
// the reports queue, which no worker consumes here, grows; the default
// queue, consumed, stays short. The canary of the unconsumed queue goes
// late, as on Redis.
func TestCeleryQueueLengthOnRabbitMQ(t *testing.T) {
	broker := startRabbitMQ(t)
	exp := startExporter(t, celeryExporterConfig)
	env := celeryEnv(t, broker, exp.url)
	worker(t, "w1", env, "default")
	celery(t, "beat", env, "beat", "--schedule", filepath.Join(t.TempDir(), "celerybeat-schedule"))
	eventually(t, 90*time.Second, func() string {
		h := exp.heartbeats(t)
		reports, ok := h["celery-queue-reports"].Values["queue_length"]
		def, defOK := h["celery-queue-default"].Values["queue_length"]
		if !ok || !defOK || reports < 3 || def > 2 {
			return fmt.Sprintf("queue_length: reports %v (%v), default %v (%v)", reports, ok, def, defOK)
		}
		return ""
	})
}
