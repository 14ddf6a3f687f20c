#!/usr/bin/env python3
"""backpressure.py: healthhost's resident memory while one client pipelines
`GET /health/ping` as fast as the kernel takes it and never reads an answer.

Before the transport change (#19) this grew the host from 31 MB to 291 MB in 5 s and
to 1.26 GB in 30 s. Run from the project root after `swift build -c release`:

  bench/backpressure.py [--seconds 30]

Prints RSS every 5 s and the bytes the server took. Loopback only; the server is
stopped by its PID.
"""
import argparse, os, re, signal, socket, subprocess, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_kb(pid):
    m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(m.group(1)) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--port", type=int, default=18420)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hh-backpressure-"))
    cfg = tmp / "hh.yaml"
    cfg.write_text(f"""listen: {{ host: 127.0.0.1, port: {args.port} }}
auth: {{ secret: bench-secret }}
plugins: {{ paths: [{ROOT}/.build/release] }}
checks:
  - {{ name: foo, plugin: core, check: "true" }}
logging: {{ level: warning }}
""")
    server = subprocess.Popen([str(ROOT / ".build/release/healthhost"), "serve", "--config", str(cfg)],
                              stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{args.port}/health/ping"
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=0.5).read()
                break
            except Exception:
                time.sleep(0.02)
        idle = rss_kb(server.pid)
        print(f"idle RSS {idle / 1024:.1f} MB")
        client = socket.create_connection(("127.0.0.1", args.port))
        client.setblocking(False)
        chunk = b"GET /health/ping HTTP/1.1\r\nHost: x\r\n\r\n" * 200
        sent, full, started, next_report = 0, 0, time.monotonic(), 5.0
        peak = idle
        while (elapsed := time.monotonic() - started) < args.seconds:
            try:
                sent += client.send(chunk)
            except BlockingIOError:
                full += 1
                time.sleep(0.005)
            peak = max(peak, rss_kb(server.pid)) if full % 50 == 0 else peak
            if elapsed >= next_report:
                print(f"{elapsed:5.1f} s  RSS {rss_kb(server.pid) / 1024:.1f} MB  taken {sent / 1e6:.1f} MB of requests")
                next_report += 5
        client.close()
        time.sleep(0.5)
        print(f"peak RSS {peak / 1024:.1f} MB (+{(peak - idle) / 1024:.1f} MB); "
              f"after close {rss_kb(server.pid) / 1024:.1f} MB; server took {sent / 1e6:.1f} MB of requests")
        with urllib.request.urlopen(url, timeout=2) as r:
            print(f"/health/ping afterwards: {r.status}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
