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

// Package wire holds the names a heartbeat ping travels under: the kinds
// of ping (the action of /heartbeat/{name}/{action}, and the kind label
// of heartbeat_pings_total) and the token header. The server
// (collector), the ping and run commands (collector/client) and the
// Celery helper's tests use these, so they cannot drift apart.
package wire

// Kinds of ping. A success is /heartbeat/{name} (or exit status 0); the
// others are the action of /heartbeat/{name}/{action}; an exit status
// 1..255 is a fail.
const (
	KindSuccess = "success"
	KindStart   = "start"
	KindFail    = "fail"
	KindLog     = "log"
	// KindProgress: the run is alive; its max_runtime restarts from here.
	KindProgress = "progress"
)

// Kinds lists every kind of ping, in the order records count them.
var Kinds = [...]string{KindSuccess, KindStart, KindFail, KindLog, KindProgress}

// KindIndex is the position of a kind in Kinds, -1 for none.
func KindIndex(kind string) int {
	for i, k := range Kinds {
		if k == kind {
			return i
		}
	}
	return -1
}

// TokenHeader carries a heartbeat's token where Authorization is taken by
// the web configuration's basic auth; "Authorization: Bearer TOKEN"
// works too.
const TokenHeader = "X-Heartbeat-Token"

// PingPrefix is where pings go: PingPrefix + name [+ "/" + action].
const PingPrefix = "/heartbeat/"

// APIPrefix is where heartbeats are listed, registered and paused.
const APIPrefix = "/api/v1/heartbeats"

// MaintenancePrefix is where a deploy script opens and ends maintenance
// windows.
const MaintenancePrefix = "/api/v1/maintenance"
