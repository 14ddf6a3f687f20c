#!/usr/bin/env python3
"""pipeline.py — issue #20's benchmark: cached /health/ and /health/ping of the build
before the request pipeline (a checkout of BASE, the transport issue's figures) against
this build with /metrics on (the default), with tracing on (every request sampled) and
with 1 % of traces sampled, interleaved in one run.

  bench/pipeline.py --base /tmp/hh-base [--rounds 5] [--duration 4s]

Both checkouts need `swift build -c release` (healthhost and hh-core). Tracing exports
to an nginx `return 200` sink on 127.0.0.1, so what is measured is the host's own cost
(span objects, sampling, the queue, protobuf encoding, the POSTs), not a collector's.
Uses the helpers of ../shared/bench/side-by-side (wrk -t2 -c32, CPU of the process
tree from /proc, medians). Loopback only; every server is stopped by its PID.
"""
import argparse, os, signal, statistics, subprocess, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from sbs import sbs  # noqa: E402 (bench/sbs.py)


def config(tmp, name, root, port):
    path = tmp / f"{name}.yaml"
    path.write_text(f"""listen: {{ host: 127.0.0.1, port: {port} }}
auth: {{ secret: bench-secret }}
plugins: {{ paths: [{root}/.build/release] }}
checks:
  - {{ name: foo, plugin: core, check: "true", success_ttl: 3600 }}
  - {{ name: bar, plugin: core, check: "true", success_ttl: 3600 }}
logging: {{ level: warning }}
""")
    return path


def start_host(root, cfg, port, env, err):
    """ROOT's release host serving CFG on PORT, answering /health/ping; stderr to the file
    ERR. Up to three starts: the transport issue's build (the usual BASE) now and then dies
    starting its plugin worker spawner (SIGILL; a withoutActuallyEscaping race, fixed since
    in PluginWorker)."""
    for attempt in range(3):
        proc = subprocess.Popen([str(root / ".build/release/healthhost"), "serve", "--config", str(cfg)],
                                env=env, stderr=err.open("w"))
        try:
            sbs.wait_200(f"http://127.0.0.1:{port}/health/ping", proc)
            return proc
        except RuntimeError:
            print(err.read_text()[-3000:])  # what the host said before it died
            if attempt == 2:
                raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", default="4s")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hh-pipeline-"))
    sink_conf = tmp / "sink.conf"
    sink_conf.write_text(f"""worker_processes 1; pid {tmp}/sink.pid; error_log {tmp}/sink.err warn;
events {{ worker_connections 256; }}
http {{ access_log off; client_body_temp_path {tmp}/cb; proxy_temp_path {tmp}/px;
  fastcgi_temp_path {tmp}/fc; uwsgi_temp_path {tmp}/uw; scgi_temp_path {tmp}/sc;
  server {{ listen 127.0.0.1:18399; location / {{ return 200; }} }} }}
""")
    tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:18399", "OTEL_SERVICE_NAME": "bench"}
    targets = {
        "before (transport #19)": (Path(args.base), 18410, {}),
        "pipeline + /metrics": (ROOT, 18411, {}),
        "pipeline + /metrics + tracing": (ROOT, 18412, tracing),
        "pipeline + /metrics + tracing 1 %": (
            ROOT, 18413, {**tracing, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}),
    }
    procs, results = {}, {name: {"ping": [], "health": []} for name in targets}
    sink = subprocess.Popen(["nginx", "-p", str(tmp), "-c", str(sink_conf), "-g", "daemon off;"])
    try:
        for name, (root, port, env) in targets.items():
            cfg = config(tmp, name.split()[0] + str(port), root, port)
            procs[name] = (start_host(root, cfg, port, {**os.environ, **env}, tmp / f"{port}.err"), port)
        for round_index in range(args.rounds):
            # Every other round backwards: a fixed order put the same build at the same point
            # of this machine's swings every round (one build read 1.13 × itself).
            order = list(procs.items())
            if round_index % 2:
                order.reverse()
            for name, (proc, port) in order:
                for endpoint, url in (("ping", f"http://127.0.0.1:{port}/health/ping"),
                                      ("health", f"http://127.0.0.1:{port}/health/?auth=bench-secret")):
                    before = sbs.cpu_s(proc.pid)
                    rps, p99, _, bad = sbs.wrk(url, args.duration, 32)
                    assert bad == 0, f"{name} {endpoint}: {bad} non-2xx answers"
                    cpu = sbs.cpu_s(proc.pid) - before
                    seconds = float(args.duration.rstrip("s"))
                    results[name][endpoint].append((rps, p99, cpu / (rps * seconds) * 1e6 if rps else float("nan")))
        base = {e: statistics.median(r[0] for r in results["before (transport #19)"][e]) for e in ("ping", "health")}
        print("\n| build | endpoint | req/s (median, min–max) | × before | p99 ms | CPU µs/req |")
        print("|---|---|---|---|---|---|")
        for name in targets:
            for endpoint in ("ping", "health"):
                runs = results[name][endpoint]
                rps = statistics.median(r[0] for r in runs)
                print(f"| {name} | {endpoint} | {rps:,.0f} ({min(r[0] for r in runs):,.0f}–{max(r[0] for r in runs):,.0f}) "
                      f"| {rps / base[endpoint]:.3f} | {statistics.median(r[1] for r in runs):.1f} "
                      f"| {statistics.median(r[2] for r in runs):.1f} |")
    finally:
        for proc, _ in procs.values():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        # SIGTERM: nginx's master stops its workers (SIGKILL would leave them running).
        sink.send_signal(signal.SIGTERM)
        sink.wait()


if __name__ == "__main__":
    main()
