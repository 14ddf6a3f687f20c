#!/usr/bin/env python3
"""footprint.py — issue #22's benchmark: resident memory and start-up of a BASE build
(a checkout of the commit before the footprint work) against this build, in one run.

  bench/footprint.py --base /tmp/hh-base [--starts 9] [--requests 1000000]

For each build and each config — `core` (the bundled core plugin, two cached checks:
what ../shared/bench/side-by-side serves) and `example` (Examples/healthhost.yaml with
every bundled plugin from .build/release loaded, as the README's demo) — it prints:
start-up to the first 200 (median of --starts starts), idle RSS of the process tree two
seconds after the first 200, the libraries that hold most of it (Rss from
/proc/PID/smaps), and RSS after --requests requests (wrk -t2 -c32, alternating
/health/ping and cached /health/). Both checkouts need `swift build -c release`.
Loopback only; every server is stopped by its PID.
"""
import argparse, collections, re, signal, statistics, subprocess, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from sbs import sbs  # noqa: E402 (bench/sbs.py)


def core_config(tmp, name, root, port):
    path = tmp / f"{name}-core.yaml"
    path.write_text(f"""listen: {{ host: 127.0.0.1, port: {port} }}
auth: {{ secret: bench-secret }}
plugins: {{ paths: [{root}/.build/release/libhh-core.so] }}
checks:
  - {{ name: foo, plugin: core, check: "true", success_ttl: 3600 }}
  - {{ name: bar, plugin: core, check: "true", success_ttl: 3600 }}
logging: {{ level: warning }}
""")
    return path, "bench-secret"


def example_config(tmp, name, root, port):
    text = (root / "Examples/healthhost.yaml").read_text()
    text = text.replace("port: 8080", f"port: {port}").replace("paths: [../.build/debug]", f"paths: [{root}/.build/release]")
    path = tmp / f"{name}-example.yaml"
    path.write_text(text + "\nlogging: { level: warning }\n")
    return path, "demo-secret"


def by_mapping(pid, top=8):
    """Rss of the main process by mapped file (anonymous memory as one entry), in MB."""
    sizes, current = collections.Counter(), None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            current = Path(fields[5]).name if len(fields) > 5 and fields[5].startswith("/") else "anonymous"
        elif fields and fields[0] == "Rss:":
            sizes[current] += int(fields[1])
    return ", ".join(f"{name} {kb / 1024:.1f}" for name, kb in sizes.most_common(top))


def start(binary, cfg, port):
    began = time.monotonic()
    proc = subprocess.Popen([str(binary), "serve", "--config", str(cfg)], stderr=subprocess.DEVNULL)
    sbs.wait_200(f"http://127.0.0.1:{port}/health/ping", proc)
    return proc, (time.monotonic() - began) * 1000


def stop(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--starts", type=int, default=9)
    ap.add_argument("--requests", type=int, default=1_000_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hh-footprint-"))
    builds = {"before": Path(args.base), "this build": ROOT}
    rows = []
    port = 18520
    for config_name, make in (("core", core_config), ("example", example_config)):
        for build, root in builds.items():
            port += 1
            cfg, secret = make(tmp, build.replace(" ", "-"), root, port)
            binary = root / ".build/release/healthhost"
            starts = []
            for _ in range(args.starts):  # interleaving builds per start would share caches the same way
                proc, ms = start(binary, cfg, port)
                starts.append(ms)
                stop(proc)
            proc, _ = start(binary, cfg, port)
            try:
                time.sleep(2)
                idle = sbs.rss_kb(proc.pid) / 1024
                mappings = by_mapping(proc.pid)
                done = 0
                while done < args.requests:
                    for url in (f"http://127.0.0.1:{port}/health/ping", f"http://127.0.0.1:{port}/health/?auth={secret}"):
                        _, _, requests, bad = sbs.wrk(url, "4s", 32)
                        assert bad == 0, f"{build} {config_name}: {bad} non-2xx answers"
                        done += requests
                loaded = sbs.rss_kb(proc.pid) / 1024
            finally:
                stop(proc)
            rows.append((config_name, build, statistics.median(starts), idle, loaded, done, mappings))
    print("\n| config | build | start-up to first 200, ms (median) | idle RSS MB | RSS after requests MB | requests |")
    print("|---|---|---|---|---|---|")
    for config_name, build, ms, idle, loaded, done, _ in rows:
        print(f"| {config_name} | {build} | {ms:.0f} | {idle:.1f} | {loaded:.1f} | {done:,} |")
    print("\nIdle RSS of the main process by mapping (MB):")
    for config_name, build, *_, mappings in rows:
        print(f"- {config_name}, {build}: {mappings}")


if __name__ == "__main__":
    main()
