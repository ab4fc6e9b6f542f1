#!/usr/bin/env bash
# make bench: the performance figures of the README, measured side by side
# with the peers named there, in one run on this machine.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
# Every bench runs, and the figures of all are printed, even when one
# misses a goal (the probe ratios sit at the edge of theirs); the exit
# status says whether any did.
missed=0
go build -o bench/out/probebench ./bench/probebench || exit 1
echo "== probes: django_health_exporter vs blackbox_exporter vs a bare Go client"
bench/out/probebench -exporter ./django_health_exporter | tee bench/out/probebench.txt || missed=1
echo
echo "== heartbeats: django_health_exporter vs Pushgateway, and /metrics with 10,000 heartbeats"
go build -o bench/out/pingbench ./bench/pingbench || exit 1
bench/out/pingbench -exporter ./django_health_exporter | tee bench/out/pingbench.txt || missed=1
echo
echo "== static assets: a probe with django.static_assets against the same page without it"
go build -o bench/out/assetbench ./bench/assetbench || exit 1
bench/out/assetbench -exporter ./django_health_exporter | tee bench/out/assetbench.txt || missed=1
echo
echo "== Python package: what the Celery integration adds to a task when the exporter is down"
.build/venv/bin/python bench/python/ping_overhead.py 2>/dev/null | tee bench/out/python.txt || missed=1
exit "$missed"
