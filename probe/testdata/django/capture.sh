#!/usr/bin/env bash
# Captures the fixtures in this directory from a real Django: the example
# project (examples/django), each answer raw, headers included (curl --raw
# -i), so the tests replay exactly what Django sent.
#
#   probe/testdata/django/capture.sh [VERSION...]
#
# VERSION (default: all of them):
#   stable    Debian bookworm: Django 3.2, django-health-check 3.17,
#             under gunicorn                       -> NAME.http, dhc3-*
#   django42  Debian trixie: Django 4.2, django-health-check 3.18,
#             under gunicorn                       -> django42-*, dhc318-*
#   django52  Debian sid: Django 5.2, django-health-check 4.5,
#             under gunicorn                       -> django52-*, dhc45-*
#   django61  Debian experimental: Django 6.1 (with sid's
#             django-health-check 4.5), Python 3.12 from pyenv, Django's
#             runserver (Debian's gunicorn runs Python 3.11)
#                                                  -> django61-*
# The newer versions come from .ci/debian-newer (make deps), unpacked into
# .build/debian and put on PYTHONPATH, never installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
project=$root/examples/django
debs=$root/.build/debian
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export PYTHONDONTWRITEBYTECODE=1

python=/usr/bin/python3
server=gunicorn

# serve PORT ENV...: run the project on 127.0.0.1:PORT with extra environment.
serve() {
  local port=$1; shift
  local db="$work/db-$port.sqlite3"
  (cd "$project" && env DJANGO_DB_PATH="$db" DJANGO_MEDIA_ROOT="$work/media" "$@" "$python" manage.py migrate --noinput >/dev/null)
  if [ "$server" = gunicorn ]; then
    (cd "$project" && env DJANGO_DB_PATH="$db" DJANGO_MEDIA_ROOT="$work/media" "$@" /usr/bin/gunicorn --bind "127.0.0.1:$port" --workers 1 --access-logfile /dev/null shop.wsgi) >"$work/server-$port.log" 2>&1 &
  else
    (cd "$project" && env DJANGO_DB_PATH="$db" DJANGO_MEDIA_ROOT="$work/media" "$@" "$python" manage.py runserver --noreload --nothreading "127.0.0.1:$port") >"$work/server-$port.log" 2>&1 &
  fi
  pids+=($!)
  for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return; sleep 0.1; done
  cat "$work/server-$port.log"; exit 1
}

# get NAME PORT PATH [curl args]: save the raw response, with fixed Date and
# Expires headers (and runserver's Server header without its Python
# version), so that captures differ only when Django's answer does.
get() {
  local name=$1 port=$2 path=$3; shift 3
  curl -s --raw -i --max-time 20 "$@" "http://127.0.0.1:$port$path" |
    sed -e 's/^Date: .*\r$/Date: Sat, 21 Nov 2026 12:00:00 GMT\r/' \
        -e 's/^Expires: .*\r$/Expires: Sat, 21 Nov 2026 12:00:00 GMT\r/' >"$here/$name.http"
  echo "$name: $(head -1 "$here/$name.http" | tr -d '\r')"
}

# pages PREFIX PORTBASE: the Django pages, production and DEBUG.
pages() {
  local p=$1 b=$2
  serve $((b + 1)) DJANGO_DEBUG=0
  serve $((b + 2)) DJANGO_DEBUG=1
  serve $((b + 3)) DJANGO_DEBUG=1 DJANGO_EMPTY_URLCONF=1
  get "${p}home"                  $((b + 1)) /
  get "${p}api-status"            $((b + 1)) /api/status/
  get "${p}prod-404"              $((b + 1)) /nope/
  get "${p}prod-500"              $((b + 1)) /boom/
  get "${p}prod-disallowed-host"  $((b + 1)) / -H 'Host: evil.example'
  get "${p}admin-login"           $((b + 1)) '/admin/login/?next=/admin/'
  get "${p}debug-500"             $((b + 2)) /boom/
  get "${p}debug-500-text"        $((b + 2)) /boom/ -H 'Accept: application/json'
  get "${p}debug-404"             $((b + 2)) /nope/
  get "${p}debug-404-raised"      $((b + 2)) /products/7/
  get "${p}debug-disallowed-host" $((b + 2)) / -H 'Host: evil.example'
  get "${p}debug-home"            $((b + 2)) /
  get "${p}debug-csrf"            $((b + 2)) /admin/login/ -X POST -d username=x
  get "${p}prod-csrf"             $((b + 1)) /admin/login/ -X POST -d username=x
  get "${p}debug-install-worked"  $((b + 3)) /
}

# health PREFIX PORTBASE FORMATS: django-health-check, healthy and with a
# Celery broker nobody listens on (its ping check fails, after kombu's
# retries: about 6 s).
health() {
  local p=$1 b=$2 formats=$3
  serve $((b + 4)) DJANGO_DEBUG=0
  serve $((b + 5)) DJANGO_DEBUG=0 CELERY_BROKER_URL=redis://127.0.0.1:1/0
  get "${p}ok-json"            $((b + 4)) '/ht/?format=json'
  get "${p}ok-accept-json"     $((b + 4)) /ht/ -H 'Accept: application/json, text/html;q=0.9, */*;q=0.8'
  get "${p}ok-html"            $((b + 4)) /ht/
  get "${p}celery-down-json"   $((b + 5)) '/ht/?format=json'
  get "${p}celery-down-html"   $((b + 5)) /ht/
  if [ "$formats" = openmetrics ]; then
    get "${p}ok-openmetrics"          $((b + 4)) '/ht/?format=openmetrics'
    get "${p}celery-down-openmetrics" $((b + 5)) '/ht/?format=openmetrics'
  fi
}

versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(stable django42 django52 django61)
for v in "${versions[@]}"; do
  unset PYTHONPATH
  python=/usr/bin/python3 server=gunicorn
  case $v in
    stable)
      pages "" 18000
      health dhc3- 18000 json ;;
    django42)
      export PYTHONPATH=$debs/trixie/usr/lib/python3/dist-packages
      pages django42- 18010
      health dhc318- 18010 json ;;
    django52)
      export PYTHONPATH=$debs/sid/usr/lib/python3/dist-packages
      pages django52- 18020
      health dhc45- 18020 openmetrics ;;
    django61)
      export PYTHONPATH=$debs/experimental/usr/lib/python3/dist-packages:$debs/sid/usr/lib/python3/dist-packages
      python=$(ls -d /root/.pyenv/versions/3.1[2-9]*/bin/python3 | head -1)
      server=runserver
      pages django61- 18030 ;;
    *) echo "unknown version $v" >&2; exit 2 ;;
  esac
  "$python" -c 'import django, sys; print("captured from Django", django.get_version(), "on Python", sys.version.split()[0])'
done
