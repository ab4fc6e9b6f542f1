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

package probe

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The token and the keyword are found wherever the chunks of the page
// cut them, and not past loginBodyLimit.
func TestScanPageAcrossChunks(t *testing.T) {
	const token = "abcDEF0123456789abcDEF0123456789abcDEF0123456789abcDEF0123456789"
	input := `<input type="hidden" name="csrfmiddlewaretoken" value="` + token + `">`
	for _, at := range []int{0, chunkSize - 30, chunkSize - len(input)/2, chunkSize - 3, 3*chunkSize + 7} {
		page := strings.Repeat("x", at) + input + strings.Repeat("y", 100) + "Your orders"
		resp := &http.Response{Body: io.NopCloser(strings.NewReader(page)), Header: http.Header{}}
		got, found, err := scanPage(resp, "Your orders", "absent")
		if err != nil || got != token || !found[0] || found[1] {
			t.Errorf("token at %d: got %q, found %v, err %v", at, got, found, err)
		}
	}
	far := strings.Repeat("x", loginBodyLimit) + input
	resp := &http.Response{Body: io.NopCloser(strings.NewReader(far)), Header: http.Header{}}
	if got, _, _ := scanPage(resp); got != "" {
		t.Errorf("a token past %d bytes was read", loginBodyLimit)
	}
}

// A cookie the site deletes or lets expire is not sent back: that is the
// expired CSRF cookie Django answers with 403.
func TestCookieJarForgetsExpired(t *testing.T) {
	now := time.Now()
	j := cookieJar{}
	resp := &http.Response{Header: http.Header{"Set-Cookie": {
		"csrftoken=abc; Path=/",
		"sessionid=s1; HttpOnly",
		"gone=1; Max-Age=0",
		"old=1; Expires=" + now.Add(-time.Hour).UTC().Format(http.TimeFormat),
	}}}
	j.update(resp, now)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	j.apply(req)
	if got := req.Header.Get("Cookie"); got != "csrftoken=abc; sessionid=s1" {
		t.Errorf("Cookie = %q", got)
	}
	j.update(&http.Response{Header: http.Header{"Set-Cookie": {`sessionid=""; Max-Age=0; Path=/`}}}, now)
	if _, ok := j["sessionid"]; ok {
		t.Error("a deleted session cookie is still sent")
	}
}
