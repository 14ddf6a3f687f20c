#!/usr/bin/env python3
"""checks.py: what the bundled network checks cost against servers on 127.0.0.1, and
whether probes reuse their connections.

Starts nginx (HTTP, and HTTPS with a certificate made here), dnsmasq, redis-server, a
throwaway PostgreSQL cluster and a throwaway MariaDB on free ports, then healthhost
(release build) with one uncached check each (net.http, net.tcp, net.tls, net.dns,
redis.ping, postgres.ping, mysql.ping). For each check: p50 and p99 of the check's own duration
over N calls, as /health/status reports it (the engine's measure, no HTTP in it).
Then probes every check every 100 ms for --seconds and counts the TCP connections
each server sees (ss), before and after.

  swift build -c release && bench/checks.py [--calls 500] [--seconds 60]

Loopback only; every server is stopped by its PID (PostgreSQL by pg_ctl).
"""
import argparse, glob, json, os, shutil, signal, socket, statistics, subprocess, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, limit=10):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def connections_to(port):
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True).stdout
    return len([l for l in out.splitlines() if l.strip()])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hh-checks-"))
    tmp.chmod(0o755)  # the postgres user must reach its folder inside
    procs, pg = [], None
    try:
        web, cache, db, hh = free_port(), free_port(), free_port(), free_port()
        tls, dns, maria = free_port(), free_port(), free_port()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{tmp}/key.pem", "-out",
                        f"{tmp}/cert.pem", "-days", "30", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
        (tmp / "nginx.conf").write_text(f"""daemon off; master_process off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{}} http {{ access_log off; server {{ listen 127.0.0.1:{web}; location / {{ return 200 "ok"; }} }}
  server {{ listen 127.0.0.1:{tls} ssl; ssl_certificate {tmp}/cert.pem; ssl_certificate_key {tmp}/key.pem; }} }}
""")
        procs.append(subprocess.Popen(["dnsmasq", "--no-daemon", "--conf-file=/dev/null", f"--port={dns}",
                                       "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                                       "--user=root", "--pid-file=", "--host-record=bench.internal,10.1.2.3"],
                                      stderr=subprocess.DEVNULL))
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={tmp}/maria", "--skip-test-db", "--user=root",
                        "--auth-root-authentication-method=normal"], check=True, capture_output=True)
        procs.append(subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={tmp}/maria", f"--socket={tmp}/maria.sock",
                                       f"--port={maria}", "--bind-address=127.0.0.1", "--user=root", "--skip-log-bin"],
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf")]))
        procs.append(subprocess.Popen(["redis-server", "--port", str(cache), "--bind", "127.0.0.1", "--save", "",
                                       "--requirepass", "bench"], stdout=subprocess.DEVNULL))
        binary = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        pg = tmp / "pg"
        pg.mkdir()
        (pg / "pw").write_text("bench\n")
        shutil.chown(pg, "postgres", "postgres")
        shutil.chown(pg / "pw", "postgres", "postgres")
        runas = ["runuser", "-u", "postgres", "--"]
        subprocess.run(runas + [f"{binary}/initdb", "-D", f"{pg}/data", "-U", "postgres", "--auth=scram-sha-256",
                                f"--pwfile={pg}/pw", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(runas + [f"{binary}/pg_ctl", "-D", f"{pg}/data", "-l", f"{pg}/log", "-w", "-o",
                                f"-p {db} -k {pg} -c listen_addresses=127.0.0.1", "start"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in (web, cache, db, tls, maria):
            wait_port(port)
        subprocess.run(["mariadb", "--no-defaults", f"--socket={tmp}/maria.sock", "-uroot", "-e",
                        "CREATE USER 'bench'@'%' IDENTIFIED BY 'bench'"], check=True)
        (tmp / "hh.yaml").write_text(f"""listen: {{ host: 127.0.0.1, port: {hh} }}
auth: {{ disabled: true }}
plugins: {{ paths: [{ROOT}/.build/release] }}
logging: {{ level: warning }}
checks:
  - {{ name: http, plugin: net, check: http, default: false, args: {{ url: "http://127.0.0.1:{web}/" }} }}
  - {{ name: tcp, plugin: net, check: tcp, default: false, args: {{ host: 127.0.0.1, port: {web} }} }}
  - {{ name: redis, plugin: redis, check: ping, default: false, args: {{ port: {cache}, password: bench }} }}
  - {{ name: postgres, plugin: postgres, check: ping, default: false,
      args: {{ conninfo: "host=127.0.0.1 port={db} user=postgres password=bench dbname=postgres" }} }}
  - {{ name: tls, plugin: net, check: tls, default: false,
      args: {{ host: 127.0.0.1, port: {tls}, server_name: localhost, ca_file: "{tmp}/cert.pem" }} }}
  - {{ name: dns, plugin: net, check: dns, default: false, args: {{ name: bench.internal, server: "127.0.0.1:{dns}" }} }}
  - {{ name: mysql, plugin: mysql, check: ping, default: false, args: {{ port: {maria}, user: bench, password: bench }} }}
""")
        server = subprocess.Popen([str(ROOT / ".build/release/healthhost"), "serve", "--config", str(tmp / "hh.yaml")],
                                  stderr=subprocess.DEVNULL)
        procs.append(server)
        wait_port(hh)
        base = f"http://127.0.0.1:{hh}"

        def status():
            with urllib.request.urlopen(f"{base}/health/status") as r:
                return {c["name"]: c for c in json.load(r)["checks"]}

        print("| check | p50 ms | p99 ms | calls |")
        print("|---|---|---|---|")
        for name in ("http", "tcp", "tls", "dns", "redis", "postgres", "mysql"):
            durations = []
            for _ in range(args.calls):
                urllib.request.urlopen(f"{base}/health/?checks={name}").read()
                durations.append(status()[name]["last_call_seconds"] * 1000)
            durations.sort()
            print(f"| {name} | {statistics.median(durations):.3f} | {durations[int(len(durations) * 0.99) - 1]:.3f} | {len(durations)} |")

        before = {p: connections_to(p) for p in (web, cache, db, maria)}
        t0, probes = time.monotonic(), 0
        while time.monotonic() - t0 < args.seconds:
            urllib.request.urlopen(f"{base}/health/?checks=http,redis,postgres,mysql").read()
            probes += 1
            time.sleep(0.1)
        after = {p: connections_to(p) for p in (web, cache, db, maria)}
        print(f"\n{probes} probes in {args.seconds:.0f} s; established connections (before → after):"
              f" nginx {before[web]} → {after[web]}, redis {before[cache]} → {after[cache]},"
              f" postgres {before[db]} → {after[db]}, mariadb {before[maria]} → {after[maria]}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
            p.wait()
        if pg is not None and (pg / "data").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", f"{binary}/pg_ctl", "-D", f"{pg}/data", "-m", "immediate",
                            "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
