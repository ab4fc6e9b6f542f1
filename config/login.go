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
	"net/url"
	"os"
	"strings"

	pconfig "github.com/prometheus/common/config"
)

// DjangoLogin is the login a module performs (django.login): the probe
// GETs the login page, POSTs the form with Django's CSRF token, follows
// the redirect with the session cookie, checks Expect on the page after
// login, and logs out.
type DjangoLogin struct {
	// URL is the login page: a path on the target ("/admin/login/") or an
	// absolute URL, which allow_targets must permit.
	URL      string `yaml:"url"`
	Username string `yaml:"username"`
	// PasswordFile holds the password, read at each load of the
	// configuration; the password itself is in no key, so /config never
	// shows it.
	PasswordFile string `yaml:"password_file"`
	// Next is where the login should land (the form's next field); empty
	// lets the site choose (LOGIN_REDIRECT_URL, the admin index).
	Next string `yaml:"next,omitempty"`
	// Expect is a keyword the page after login must contain.
	Expect string `yaml:"expect,omitempty"`
	// LogoutURL is POSTed after the check, so sessions do not pile up.
	// Empty: the login URL with its last "login" made "logout"
	// (/admin/login/ -> /admin/logout/). "none" logs nothing out.
	LogoutURL string `yaml:"logout_url,omitempty"`

	password string
}

// LogoutNone turns the logout off.
const LogoutNone = "none"

// Password is the password read from PasswordFile at the last load.
func (l *DjangoLogin) Password() string { return l.password }

func (l *DjangoLogin) normalize() {
	if l.URL == "" {
		l.URL = "/admin/login/"
	}
	if l.LogoutURL == "" {
		if i := strings.LastIndex(l.URL, "login"); i >= 0 {
			l.LogoutURL = l.URL[:i] + "logout" + l.URL[i+len("login"):]
		}
	}
}

func (l *DjangoLogin) validate(v *validator, path []any) {
	for _, k := range []struct{ key, value string }{{"url", l.URL}, {"next", l.Next}, {"logout_url", l.LogoutURL}} {
		if k.value == "" || k.value == LogoutNone && k.key == "logout_url" {
			continue
		}
		u, err := url.Parse(k.value)
		switch {
		case err != nil:
			v.errorf(at(path, k.key), "invalid URL %q: %v", k.value, err)
		case u.IsAbs() && u.Scheme != "http" && u.Scheme != "https":
			v.errorf(at(path, k.key), "URL %q: want a path on the target or an http(s) URL", k.value)
		case !u.IsAbs() && !strings.HasPrefix(u.Path, "/"):
			v.errorf(at(path, k.key), "path %q must start with /", k.value)
		}
	}
	if l.LogoutURL == "" {
		v.errorf(at(path, "logout_url"), "cannot tell the logout URL from url %q: set logout_url (or \"none\" to stay logged in, which leaves a session row per probe)", l.URL)
	}
	if l.Username == "" {
		v.errorf(at(path, "username"), "missing: the account the probe logs in as")
	}
	if l.PasswordFile == "" {
		v.errorf(at(path, "password_file"), "missing: a file holding the account's password (never the password itself)")
	}
}

// compile reads the password from its file.
func (l *DjangoLogin) compile(v *validator, path []any) {
	if l.PasswordFile == "" {
		return
	}
	file := pconfig.JoinDir(v.dir, l.PasswordFile)
	b, err := os.ReadFile(file)
	if err != nil {
		v.errorf(at(path, "password_file"), "cannot read the password file: %v", err)
		return
	}
	l.password = strings.TrimRight(string(b), "\r\n")
	if l.password == "" {
		v.errorf(at(path, "password_file"), "password file %s is empty", file)
	}
}
