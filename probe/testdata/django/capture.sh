#!/usr/bin/env bash
# Captures the fixtures in this directory from a real Django: the example
# project (examples/django) under gunicorn, from Debian's python3-django
# (3.2), python3-django-health-check (3.17) and gunicorn (20.1). Each
# fixture is the raw HTTP response, headers included (curl --raw -i), so
# the tests replay exactly what Django sent.
#
#   apt-get install python3-django python3-django-health-check gunicorn curl
#   probe/testdata/django/capture.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../../../examples/django" && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

export DJANGO_DB_PATH="$work/db.sqlite3" DJANGO_MEDIA_ROOT="$work/media" PYTHONDONTWRITEBYTECODE=1
(cd "$project" && /usr/bin/python3 manage.py migrate --noinput >/dev/null)

# serve PORT ENV...: start gunicorn on 127.0.0.1:PORT with extra environment.
serve() {
  local port=$1; shift
  (cd "$project" && env "$@" gunicorn --bind "127.0.0.1:$port" --workers 1 --access-logfile /dev/null shop.wsgi) >"$work/gunicorn-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return; sleep 0.1; done
  cat "$work/gunicorn-$port.log"; exit 1
}

# get NAME PORT PATH [curl args]: save the raw response.
get() {
  local name=$1 port=$2 path=$3; shift 3
  curl -s --raw -i "$@" "http://127.0.0.1:$port$path" | sed -e 's/^Date: .*\r$/Date: Sat, 21 Nov 2026 12:00:00 GMT\r/' >"$here/$name.http"
  echo "$name: $(head -1 "$here/$name.http" | tr -d '\r')"
}

serve 18001 DJANGO_DEBUG=0
serve 18002 DJANGO_DEBUG=1
serve 18003 DJANGO_DEBUG=1 DJANGO_EMPTY_URLCONF=1
# A broker nobody listens on: the Celery ping check fails.
serve 18004 DJANGO_DEBUG=0 CELERY_BROKER_URL=redis://127.0.0.1:1/0

get home                      18001 /
get api-status                18001 /api/status/
get prod-404                  18001 /nope/
get prod-500                  18001 /boom/
get prod-disallowed-host      18001 / -H 'Host: evil.example'
get admin-login               18001 /admin/login/?next=/admin/
get debug-500                 18002 /boom/
get debug-500-text            18002 /boom/ -H 'Accept: application/json'
get debug-404                 18002 /nope/
get debug-404-raised          18002 /products/7/
get debug-disallowed-host     18002 / -H 'Host: evil.example'
get debug-home                18002 /
get debug-csrf                18002 /admin/login/ -X POST -d username=x
get prod-csrf                 18001 /admin/login/ -X POST -d username=x
get debug-install-worked      18003 /
get dhc3-ok-json              18001 '/ht/?format=json'
get dhc3-ok-accept-json       18001 /ht/ -H 'Accept: application/json, text/html;q=0.9, */*;q=0.8'
get dhc3-ok-html              18001 /ht/
get dhc3-celery-down-json     18004 '/ht/?format=json'
get dhc3-celery-down-html     18004 /ht/

# Django 5.x rewrote the technical pages in semantic HTML: the summary,
# info and explanation blocks became <header>, <main> and <footer>, and
# table headers gained scope="row" (compare django/views/templates/ of 3.2
# and 5.2). Debian has no Django 5 and PyPI is out of reach here, so the
# django5-* fixtures are the 3.2 captures with exactly those changes
# applied; the detectors must not depend on the markup that changed.
/usr/bin/python3 - "$here" <<'PY'
import re, sys, pathlib
here = pathlib.Path(sys.argv[1])
for name in ["debug-500", "debug-404", "debug-404-raised", "debug-disallowed-host"]:
    raw = (here / f"{name}.http").read_bytes().decode("utf-8")
    head, body = raw.split("\r\n\r\n", 1)
    if "Transfer-Encoding: chunked" in head:
        # Undo the chunking: the body is about to change length.
        data, out = body.encode("utf-8"), b""
        while True:
            line, data = data.split(b"\r\n", 1)
            size = int(line, 16)
            if size == 0:
                break
            out, data = out + data[:size], data[size + 2:]
        body = out.decode("utf-8")
        head = head.replace("Transfer-Encoding: chunked", "Content-Length: 0")
    for block, tag in (("summary", "header"), ("info", "main"), ("explanation", "footer")):
        m = re.search(r'<div id="%s">' % block, body)
        if not m:
            continue
        depth, i = 0, m.start()
        for t in re.finditer(r"<(/?)div\b[^>]*>", body[m.start():]):
            depth += -1 if t.group(1) else 1
            if depth == 0:
                end = m.start() + t.start()
                body = body[:end] + f"</{tag}>" + body[end + len("</div>"):]
                break
        body = body[:m.start()] + f'<{tag} id="{block}">' + body[m.end():]
    body = re.sub(r"<th>([^<]*:)</th>", r'<th scope="row">\1</th>', body)
    head = re.sub(r"Content-Length: \d+", "Content-Length: %d" % len(body.encode("utf-8")), head)
    (here / f"django5-{name}.http").write_bytes((head + "\r\n\r\n" + body).encode("utf-8"))
    print(f"django5-{name}: derived from {name}")
PY
