#!/usr/bin/env bash
# HTTP benchmark: release build, the bench config, then ../shared/bench/http-ratio
# (wrk against healthhost and an nginx reference, alternating, in one run) on
# /health/ping and /health/ (two checks). Also prints start-up time to the first
# 200 and idle RSS. Loopback only; the server is stopped by its PID.
#   bench/http.sh            (knobs of http-ratio apply: DURATION, ROUNDS, CONNS)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup nginx-light wrk curl
swift build -c release >/dev/null
ratio=${HTTP_RATIO:-../shared/bench/http-ratio}
port=18180
start_ns=$(date +%s%N)
.build/release/healthhost serve --config bench/healthhost-bench.yaml &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
until curl -fs "http://127.0.0.1:$port/health/ping" >/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "healthhost exited" >&2; exit 1; }
  sleep 0.005
done
echo "startup_ms $(( ($(date +%s%N) - start_ns) / 1000000 ))"
sleep 1
echo "idle_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
"$ratio" "http://127.0.0.1:$port/health/ping" "http://127.0.0.1:$port/health/?auth=bench"
echo "rss_after_load_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
