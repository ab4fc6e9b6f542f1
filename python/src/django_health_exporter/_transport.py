"""How a request reaches the exporters: one URL, several (replicas), or
dns+http://NAME:PORT (every address NAME resolves to, the pods of a
headless Service). Standard library only; redirects are never followed,
so that a token never goes anywhere but the exporter the URL names."""

from __future__ import annotations

import base64
import http.client
import logging
import re
import socket
import ssl
import urllib.parse
from typing import Dict, List, Mapping, Optional, Tuple

log = logging.getLogger("django_health_exporter")

DEFAULT_URL = "http://localhost:9716"

# The wire names of the exporter (collector/wire in the Go code).
PING_PREFIX = "/heartbeat/"
API_PREFIX = "/api/v1/heartbeats"
TOKEN_HEADER = "X-Heartbeat-Token"

_Target = Tuple[str, Optional[str]]  # (base URL, address to dial or None)


def split_urls(raw: str) -> List[str]:
    """The exporters of a setting: URLs separated by commas or spaces."""
    return [u for u in re.split(r"[,\s]+", raw or "") if u] or [DEFAULT_URL]


def targets(raw: str) -> List[_Target]:
    """(base URL, address) for each exporter. A dns+ URL is each address
    its name resolves to now, reached with the name as Host and TLS
    server name; address is None for a plain URL."""
    out: List[_Target] = []
    for base in split_urls(raw):
        if not base.startswith("dns+"):
            out.append((base.rstrip("/"), None))
            continue
        base = base[len("dns+"):].rstrip("/")
        parts = urllib.parse.urlsplit(base)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except OSError as e:
            log.warning("django_health_exporter: cannot resolve the exporters of %s: %s", base, e)
            continue
        for addr in sorted({str(info[4][0]) for info in infos}):
            out.append((base, addr))
    return out


class _HTTPSAt(http.client.HTTPSConnection):
    """HTTPS to an address, verified against the name the URL gives."""

    def __init__(self, name: str, addr: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(addr, port, timeout=timeout, context=context)
        self._name = name
        self._ctx = context

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._ctx.wrap_socket(sock, server_hostname=self._name)


def request(
    base: str,
    addr: Optional[str],
    method: str,
    path: str,
    body: bytes,
    headers: Mapping[str, str],
    token: str,
    timeout: float,
) -> Tuple[int, str]:
    """One request to an exporter; its status and the start of its
    answer. Raises OSError (and http.client's errors) when it could not
    be sent."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("exporter URL %r: want http://HOST:PORT or dns+http://NAME:PORT" % base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = addr or parts.hostname
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = _HTTPSAt(parts.hostname, host, port, timeout, ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    hdrs: Dict[str, str] = dict(headers)
    hdrs["Host"] = parts.netloc.rsplit("@", 1)[-1]
    if parts.username is not None:
        # Basic auth for the exporter's web configuration: the token then
        # goes in its own header.
        creds = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
        hdrs["Authorization"] = "Basic " + base64.b64encode(creds.encode("utf-8")).decode("ascii")
        if token:
            hdrs[TOKEN_HEADER] = token
    elif token:
        hdrs["Authorization"] = "Bearer " + token
    try:
        conn.request(method, parts.path + path, body=body, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read(1024).decode("utf-8", "replace").strip()
        if 300 <= resp.status < 400:
            # Never followed: the token would go along.
            text = "a redirect to %r, not followed (point the URL at the exporter itself)" % (resp.getheader("Location") or "")
        return resp.status, text
    finally:
        conn.close()
