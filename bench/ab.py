#!/usr/bin/env python3
"""ab.py — two builds of healthhost, cached /health/ and /health/ping, interleaved.

  bench/ab.py --base /tmp/hh-base [--rounds 9] [--duration 3s] [--env NAME=VALUE ...]
  bench/ab.py --base "$PWD" --this-env OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:18399

BASE is another checkout (e.g. `git worktree add /tmp/hh-base COMMIT`); both need
`swift build -c release`. Each round runs wrk -t2 -c32 on each endpoint of each build,
alternating which build goes first; prints the median req/s and CPU µs per request of
each, every round's req/s (this machine's spread is ±10 %: look at the rounds, not
one median) and, per round, this build against the base measured next to it: the
median of those paired ratios with a bootstrap 90 % interval, which the machine's slow
stretches move far less than the medians of each. A build with tracing on also prints
what its `/metrics` says it exported and dropped (a run where nothing was exported
measured nothing), and how much of the machine's time the hypervisor gave to other
guests during the rounds (steal: what makes this machine's rounds swing). Same config as bench/pipeline.py (the core plugin, two cached checks);
`--env` sets environment variables for both (`OTEL_EXPORTER_OTLP_ENDPOINT=...` to
compare tracing, with a collector or sink of your own listening there); `--this-env`
sets them for this build only (`--base "$PWD"` then compares one build with and without
them, e.g. traced against untraced).
`--simultaneous` loads both builds at once instead, each build and its wrk (-t1 -c16)
pinned to a CPU of its own and swapped every round, and pairs each round with the next
(each build once on each CPU): the machine's slow and fast stretches then fall on both
builds alike. On this 2-CPU machine that is what resolves a few per cent (a 0.5 µs
spin per request read 0.97 × there; run one after the other, 0.91–0.94 ×).
Loopback only; both servers are stopped by their PIDs.
"""
import argparse, os, random, re, signal, statistics, subprocess, tempfile, urllib.error, urllib.request
from pathlib import Path

from pipeline import config, start_host
from sbs import sbs

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--duration", default="3s")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--this-env", action="append", default=[])
    ap.add_argument("--simultaneous", action="store_true",
                    help="both builds loaded at once, each with its wrk on a CPU of its own (swapped every "
                         "round): the machine's slow and fast stretches then fall on both alike")
    args = ap.parse_args()
    if args.simultaneous and args.rounds % 2:
        ap.error("--simultaneous needs an even number of rounds (each build on each CPU)")
    env = {**os.environ, **dict(item.split("=", 1) for item in args.env)}
    this_env = {**env, **dict(item.split("=", 1) for item in args.this_env)}
    tmp = Path(tempfile.mkdtemp(prefix="hh-ab-"))
    builds = {"base": (Path(args.base), 18431), "this": (ROOT, 18432)}
    procs, results = {}, {name: {"ping": [], "health": []} for name in builds}
    seconds = float(args.duration.rstrip("s"))
    try:
        for name, (root, port) in builds.items():
            procs[name] = (start_host(root, config(tmp, name, root, port), port,
                                      this_env if name == "this" else env, tmp / f"{name}.err"), port)
        steal_before = cpu_times()
        for round_index in range(args.rounds):
            order = list(procs.items())
            if round_index % 2:
                order.reverse()
            if args.simultaneous:
                simultaneous_round(order, args.duration, seconds, results)
                continue
            for name, (proc, port) in order:
                for endpoint, url in (("ping", f"http://127.0.0.1:{port}/health/ping"),
                                      ("health", f"http://127.0.0.1:{port}/health/?auth=bench-secret")):
                    before = sbs.cpu_s(proc.pid)
                    rps, _, _, bad = sbs.wrk(url, args.duration, 32)
                    assert bad == 0, f"{name} {endpoint}: {bad} non-2xx answers"
                    cpu = sbs.cpu_s(proc.pid) - before
                    results[name][endpoint].append((rps, cpu / (rps * seconds) * 1e6 if rps else float("nan")))
        steal_after = cpu_times()
        print("| endpoint | build | req/s (median) | × base | CPU µs/req | rounds (k req/s) |")
        print("|---|---|---|---|---|---|")
        for endpoint in ("ping", "health"):
            base = statistics.median(r[0] for r in results["base"][endpoint])
            for name in builds:
                runs = results[name][endpoint]
                rps = statistics.median(r[0] for r in runs)
                print(f"| {endpoint} | {name} | {rps:,.0f} | {rps / base:.3f} | "
                      f"{statistics.median(r[1] for r in runs):.2f} | {' '.join(f'{r[0] / 1000:.0f}' for r in runs)} |")
        print()
        print("| endpoint | this / base, paired by round (median, 90 % interval) | CPU µs/req this − base (median, 90 % interval) |")
        print("|---|---|---|")
        for endpoint in ("ping", "health"):
            pairs = list(zip(results["this"][endpoint], results["base"][endpoint]))
            ratios = [this[0] / base[0] for this, base in pairs]
            deltas = [this[1] - base[1] for this, base in pairs]
            if args.simultaneous:
                # A round and the next ran each build on the other CPU: their geometric mean
                # cancels what one CPU gives more than the other.
                ratios = [(a * b) ** 0.5 for a, b in zip(ratios[0::2], ratios[1::2])]
                deltas = [(a + b) / 2 for a, b in zip(deltas[0::2], deltas[1::2])]
            print(f"| {endpoint} | {interval(ratios, '.3f')} | {interval(deltas, '+.2f')} |")
        total = sum(steal_after) - sum(steal_before)
        print(f"steal: {100 * (steal_after[7] - steal_before[7]) / total:.1f} % of the machine's CPU time "
              "during the rounds went to other guests of the hypervisor")
        for name, (proc, port) in procs.items():
            spans = exported_spans(port)
            if spans:
                print(f"{name}: /metrics: {spans}")
    finally:
        for proc, _ in procs.values():
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def simultaneous_round(order, duration, seconds, results):
    """One round of --simultaneous: each build and its wrk (-t1 -c16) on CPU 0 and 1 in
    `order`, both endpoints one after the other, both builds loaded at the same time."""
    for cpu, (_, (proc, _)) in enumerate(order):
        subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(proc.pid)], check=True, capture_output=True)
    for endpoint, path in (("ping", "/health/ping"), ("health", "/health/?auth=bench-secret")):
        before = {name: sbs.cpu_s(proc.pid) for name, (proc, _) in order}
        loads = {name: subprocess.Popen(["taskset", "-c", str(cpu), "wrk", "-t1", "-c16", f"-d{duration}",
                                         f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE, text=True)
                 for cpu, (name, (_, port)) in enumerate(order)}
        for name, (proc, _) in order:
            out = loads[name].communicate()[0]
            assert "Non-2xx" not in out, f"{name} {endpoint}: non-2xx answers"
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            cpu = sbs.cpu_s(proc.pid) - before[name]
            results[name][endpoint].append((rps, cpu / (rps * seconds) * 1e6 if rps else float("nan")))


def interval(values, spec):
    """The median of `values` and a bootstrap 90 % interval of it."""
    rng = random.Random(20)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
    return (f"{statistics.median(values):{spec}} ({medians[100]:{spec}} to {medians[1899]:{spec}})")


def cpu_times():
    """The machine's CPU time so far, by kind (/proc/stat: user, nice, system, idle,
    iowait, irq, softirq, steal, ...)."""
    with open("/proc/stat") as stat:
        return [int(field) for field in stat.readline().split()[1:]]


def exported_spans(port):
    """What the host's /metrics says about its span export, if tracing is on ("" for a
    build without /metrics, such as the transport issue's)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Authorization": "Bearer bench-secret"})
    try:
        text = urllib.request.urlopen(request, timeout=5).read().decode()
    except (urllib.error.HTTPError, urllib.error.URLError):
        return ""
    found = re.findall(r'^healthhost_trace_(spans_exported_total|spans_dropped_total\{reason="\w+"\}) (\S+)$',
                       text, re.M)
    return ", ".join(f"{series} {value}" for series, value in found)


if __name__ == "__main__":
    main()
