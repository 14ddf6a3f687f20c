#!/usr/bin/env bash
# Engine benchmarks (release build, loopback only, every server stopped by its PID):
#   1. the in-process cost of one plugin check call, plain and with typed arguments (healthhost-bench)
#   2. /health/ latency with 1,000 registered checks, uncached and cached (wrk -c1)
#   3. start-up time to the first 200 with 100 plugins (median of 5)
#   4. /health/ping p99 alone and while a 5 s check keeps running
#   bench/engine.sh        (DURATION=3s by default)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup wrk curl
swift build -c release --product healthhost >/dev/null
swift build -c release --product healthhost-bench >/dev/null
DURATION=${DURATION:-3s}
work=$(mktemp -d /tmp/healthhost-bench.XXXXXX)
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}
idle_pid=""
trap 'stop; [ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null; rm -rf "$work"' EXIT
compile() { cc -std=c99 -O2 -shared -fPIC -fvisibility=hidden -I include "$@" bench/plugins/benchkit.c; }
port=18181

# serve CONFIG: starts healthhost (PID in $pid), waits for the first 200 on
# /health/ping and sets $startup_ms.
serve() {
  local start_ns
  start_ns=$(date +%s%N)
  .build/release/healthhost serve --config "$1" >/dev/null 2>"$work/serve.log" &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/health/ping" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "healthhost exited:" >&2; cat "$work/serve.log" >&2; exit 1; }
    sleep 0.002
  done
  startup_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
}
latency() { # URL -> "p50_ms p99_ms rps" (one connection)
  wrk -t1 -c1 -d"$DURATION" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms/, "", v); return v + 0 } sub(/s/, "", v); return v * 1000 }
    /^ +50%/ {p50 = ms($2)} /^ +99%/ {p99 = ms($2)} /Requests\/sec/ {rps = $2}
    END {printf "%.3f %.3f %.0f\n", p50, p99, rps}'
}

echo "== 1. one plugin check call"
compile -o "$work/hh-benchkit.so"
HEALTHHOST=.build/release/healthhost .build/release/healthhost-bench "$work/hh-benchkit.so" ok

echo "== 2. /health/ with 1,000 registered checks"
for mode in uncached cached; do
  ttl=0; [ "$mode" = cached ] && ttl=3600
  {
    echo "listen: { host: 127.0.0.1, port: $port }"
    echo "auth: { secret: bench }"
    echo "plugins: { paths: [\"$work/hh-benchkit.so\"] }"
    echo "engine: { success_ttl: $ttl }"
    echo "logging: { level: warning }"
    echo "checks:"
    for i in $(seq -w 1 1000); do echo "  - { name: c$i, plugin: benchkit, check: ok }"; done
  } >"$work/checks-1000.yaml"
  serve "$work/checks-1000.yaml"
  curl -fs "http://127.0.0.1:$port/health/?auth=bench" >/dev/null
  read -r p50 p99 rps < <(latency "http://127.0.0.1:$port/health/?auth=bench")
  echo "checks_1000_${mode} p50_ms=$p50 p99_ms=$p99 rps=$rps"
  stop
done

echo "== 3. start-up with 100 plugins"
mkdir -p "$work/plugins"
for i in $(seq -w 1 100); do compile -DBENCH_PLUGIN_NAME="\"bench_$i\"" -o "$work/plugins/hh-bench-$i.so"; done
cat >"$work/plugins-100.yaml" <<YAML
listen: { host: 127.0.0.1, port: $port }
auth: { secret: bench }
plugins: { paths: ["$work/plugins"] }
logging: { level: warning }
YAML
times=()
for _ in 1 2 3 4 5; do serve "$work/plugins-100.yaml"; times+=("$startup_ms"); stop; done
echo "startup_100_plugins_ms median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) all=${times[*]}"

echo "== 4. /health/ping p99 while a 5 s check runs"
cat >"$work/slow.yaml" <<YAML
listen: { host: 127.0.0.1, port: $port }
auth: { secret: bench }
plugins: { paths: ["$work/hh-benchkit.so"] }
logging: { level: warning }
checks:
  - { name: slow, plugin: benchkit, check: sleep5 }
YAML
sed "s/port: $port/port: $((port + 1))/" "$work/slow.yaml" >"$work/idle.yaml"
.build/release/healthhost serve --config "$work/idle.yaml" >/dev/null 2>&1 &
idle_pid=$!
serve "$work/slow.yaml"
until curl -fs "http://127.0.0.1:$((port + 1))/health/ping" >/dev/null 2>&1; do sleep 0.01; done
ping_url="http://127.0.0.1:$port/health/ping"
p99() { wrk -t2 -c32 -d"$DURATION" --latency "$ping_url" | awk '/^ +99%/ {print $2}'; }
# Keeps the 5 s check running (single-flight: one call at a time) for the whole section.
( for _ in $(seq 12); do curl -s "http://127.0.0.1:$port/health/?auth=bench" >/dev/null; done ) &
slow_pid=$!
alone=(); busy=()
for _ in 1 2 3; do
  busy+=("$(p99)")
  # the same measurement against a second host with no slow check running
  alone+=("$(wrk -t2 -c32 -d"$DURATION" --latency "http://127.0.0.1:$((port + 1))/health/ping" | awk '/^ +99%/ {print $2}')")
done
kill "$slow_pid" 2>/dev/null || true
echo "ping_p99 idle_host=${alone[*]} while_5s_check_runs=${busy[*]}"
stop; kill "$idle_pid" 2>/dev/null || true; wait "$idle_pid" 2>/dev/null || true
