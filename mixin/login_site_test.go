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

package mixin

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// The login and the health-check response times need a site that answers
// them, so that their series exist for the panels and the alert. This is
// a stand-in with Django's login flow (CSRF cookie and form token, a
// redirect with a session cookie) and a django-health-check 4.x
// OpenMetrics answer: the exporter against real Django is tested in e2e.

// loginPassword is the stand-in's password; passwordFile writes it.
const loginPassword = "right"

func passwordFile(t *testing.T, dir, password string) string {
	t.Helper()
	p := filepath.Join(dir, "password-"+password)
	if err := os.WriteFile(p, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// addLoginSite adds /accounts/login/, /account/, /accounts/logout/ and
// /ht/om/ to mux.
func addLoginSite(mux *http.ServeMux) {
	mux.HandleFunc("/accounts/login/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			c, err := r.Cookie("csrftoken")
			if err != nil || r.PostFormValue("csrfmiddlewaretoken") != c.Value {
				http.Error(w, "CSRF verification failed. Request aborted.", http.StatusForbidden)
				return
			}
			if r.PostFormValue("password") == loginPassword {
				http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s1", Path: "/"})
				http.Redirect(w, r, "/account/", http.StatusFound)
				return
			}
		}
		http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "tok123", Path: "/"})
		_, _ = io.WriteString(w, `<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="tok123"></form>`)
	})
	mux.HandleFunc("/account/", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sessionid"); err != nil || c.Value != "s1" {
			http.Redirect(w, r, "/accounts/login/", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "<h2>Your orders</h2>")
	})
	mux.HandleFunc("/accounts/logout/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusFound)
	})
	mux.HandleFunc("/ht/om/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
		_, _ = fmt.Fprint(w, "# TYPE django_health_check_status gauge\n",
			"django_health_check_status{check=\"Database\",alias=\"default\"} 1\n",
			"# TYPE django_health_check_response_time_seconds gauge\n",
			"django_health_check_response_time_seconds{check=\"Database\",alias=\"default\"} 0.004\n",
			"# EOF\n")
	})
}

// loginModule is a module that logs in with the password in file.
func loginModule(name, file, extra string) string {
	return fmt.Sprintf("  %s:\n    %s\n    django:\n      login: {url: /accounts/login/, username: probe, password_file: %s, next: /account/, expect: Your orders}\n", name, extra, file)
}
