#!/usr/bin/env bash
# HTTP benchmark: release build, the bench config, then ../shared/bench/http-ratio
# (wrk against healthhost and an nginx reference, alternating, in one run) on
# /health/ping and /health/ (two cached checks), and on bench/nio-baseline (the bare
# NIOHTTP1 pipeline healthhost is built on), so every run also shows healthhost's cost
# over the stack it cannot go below. Also prints start-up time to the first 200 and
# idle RSS. Loopback only; every server is stopped by its PID.
#   bench/http.sh            (knobs of http-ratio apply: DURATION, ROUNDS, CONNS)
#   BASELINE=0 bench/http.sh (skip the bare pipeline)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup nginx-light wrk curl
swift build -c release >/dev/null
ratio=${HTTP_RATIO:-../shared/bench/http-ratio}
port=18180
baseline_port=18190
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT
wait_for() {  # URL PID
  until curl -fs "$1" >/dev/null; do
    kill -0 "$2" 2>/dev/null || { echo "server for $1 exited" >&2; exit 1; }
    sleep 0.005
  done
}

start_ns=$(date +%s%N)
.build/release/healthhost serve --config bench/healthhost-bench.yaml &
pid=$!
pids+=("$pid")
wait_for "http://127.0.0.1:$port/health/ping" "$pid"
echo "startup_ms $(( ($(date +%s%N) - start_ns) / 1000000 ))"
sleep 1
echo "idle_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"

urls=()
if [ "${BASELINE:-1}" != 0 ]; then
  swift build -c release --package-path bench/nio-baseline >/dev/null
  bench/nio-baseline/.build/release/nio-baseline "$baseline_port" >/dev/null &
  pids+=("$!")
  wait_for "http://127.0.0.1:$baseline_port/" "$!"
  urls+=("http://127.0.0.1:$baseline_port/")
fi
urls+=("http://127.0.0.1:$port/health/ping" "http://127.0.0.1:$port/health/?auth=bench")
"$ratio" "${urls[@]}" | tee /tmp/healthhost-http-bench.$$
echo "rss_after_load_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
# healthhost against the bare pipeline: the part of the gap to nginx that is healthhost's
awk '$1 == "ratio" {rps[$2] = $3}
     END {base = rps["http://127.0.0.1:'"$baseline_port"'/"]
          if (base > 0) for (u in rps) if (u !~ /:'"$baseline_port"'\//)
            printf "vs_bare_nio %s %.0f %.0f %.3f\n", u, rps[u], base, rps[u] / base}' /tmp/healthhost-http-bench.$$
rm -f /tmp/healthhost-http-bench.$$
