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

package collector

import "testing"

// The line the status page shows of a failed run's message is the error
// of its traceback, wherever the traceback is in it (stdout written after
// it, a chained exception, Python 3.11's carets); other messages show
// their last line.
func TestExcerptIsTheTracebacksError(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"importing\nTraceback (most recent call last):\n  File \"x.py\", line 3, in <module>\n    main()\n    ~~~~^^\nValueError: row 2: bad date\n\nrolled back 1 row\n", "ValueError: row 2: bad date"},
		{"Traceback (most recent call last):\n  File \"a\"\nKeyError: 'a'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"b\"\nRuntimeError: lookup failed\n", "RuntimeError: lookup failed"},
		{"django.db.utils.OperationalError: no such table\n", "django.db.utils.OperationalError: no such table"},
		{"step 1\nstep 2\nexit 3\n\n", "exit 3"},
		{"Traceback (most recent call last):\n  File \"a\"\n", "  File \"a\""},
	} {
		if got := excerpt(tc.msg); got != tc.want {
			t.Errorf("excerpt(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}

	e := newEnv(t, basicConfig)
	if code, body := e.do("POST", "/heartbeat/celery-beat/fail", "Traceback (most recent call last):\n  File \"t.py\"\nValueError: boom\nafterwards\n"); code != 200 {
		t.Fatalf("fail ping: %d %s", code, body)
	}
	if v := e.view("celery-beat"); v.Excerpt != "ValueError: boom" {
		t.Errorf("the page's line: %q", v.Excerpt)
	}
}
