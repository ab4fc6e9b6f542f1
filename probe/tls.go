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
	"crypto/tls"
	"crypto/x509"
	"time"
)

// tlsInfo reads the certificate dates and the version of a connection.
//
// probe_ssl_earliest_cert_expiry is the first NotAfter among the
// certificates the server sent. probe_ssl_last_chain_expiry_timestamp_seconds
// is, over the verified chains, the latest of each chain's earliest
// NotAfter: when it passes, no chain the client trusts is left. Both follow
// blackbox_exporter's definitions.
func tlsInfo(cs *tls.ConnectionState) *TLSInfo {
	if cs == nil {
		return nil
	}
	info := &TLSInfo{Version: tlsVersionName(cs.Version)}
	for _, c := range cs.PeerCertificates {
		if info.EarliestExpiry.IsZero() || c.NotAfter.Before(info.EarliestExpiry) {
			info.EarliestExpiry = c.NotAfter
		}
	}
	if len(cs.PeerCertificates) > 0 {
		info.Leaf = cs.PeerCertificates[0]
	}
	chains := cs.VerifiedChains
	if len(chains) == 0 && len(cs.PeerCertificates) > 0 {
		// insecure_skip_verify: the chain as sent is all there is.
		chains = [][]*x509.Certificate{cs.PeerCertificates}
	}
	for _, chain := range chains {
		var earliest time.Time
		for _, c := range chain {
			if earliest.IsZero() || c.NotAfter.Before(earliest) {
				earliest = c.NotAfter
			}
		}
		if earliest.After(info.LastChainExpiry) {
			info.LastChainExpiry = earliest
		}
	}
	return info
}

// tlsVersionName matches blackbox_exporter's version label values.
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLS 1.0"
	case tls.VersionTLS11:
		return "TLS 1.1"
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	}
	return "unknown"
}
