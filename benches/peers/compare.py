"""Run the CUBA and Brunel networks in NEST, Brian2 and neurc, each run in a
fresh child process, and print a Markdown table (see README.md).

    /work/peers-venv/bin/python benches/peers/compare.py --json-out /tmp/peers.json
    /work/peers-venv/bin/python benches/peers/compare.py --spread --seeds 5

The second form runs NEST and Brian2 on one thread for seeds 1..K and writes
the run-to-run spread of their rates and CVs to benches/peers/reference.json.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEER_SCRIPTS = {"nest": "run_nest.py", "brian2": "run_brian2.py"}
POPULATIONS = ("exc", "inh")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", default="cuba,brunel", help="comma-separated: cuba,brunel")
    parser.add_argument("--simulators", default="nest,brian2", help="peers to run: nest,brian2")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case; the table shows medians")
    parser.add_argument("--seed", type=int, default=1, help="seed of the timed runs")
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--no-neurc", action="store_true", help="run the peers only")
    parser.add_argument("--neurc", help="a neurc binary to use instead of `cargo build --release`")
    parser.add_argument("--json-out", help="write every run's raw result here")
    parser.add_argument("--spread", action="store_true", help="run seeds 1..K on one thread, write reference.json")
    parser.add_argument("--seeds", type=int, default=5, help="K for --spread")
    parser.add_argument("--reference-out", default=os.path.join(HERE, "reference.json"))
    return parser.parse_args()


def log(message):
    print(message, file=sys.stderr, flush=True)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run_json_child(command, label, timeout, cwd=None):
    """Runs a simulator script that prints one JSON object as its last
    line; returns (that object with the 1-minute load before the run, the
    child's rusage), or None (after saying why) if it timed out or failed.
    """
    load_before = os.getloadavg()[0]
    code, out, err, rusage = run_child(command, timeout, cwd=cwd)
    if code is None:
        log(f"{label}: timed out after {timeout:.0f} s (is another process taking a core? {uptime()})")
        return None
    if code != 0 or not out.strip():
        log(f"{label}: failed with exit code {code}\n{err[-3000:]}")
        return None
    result = json.loads(out.strip().splitlines()[-1])
    result["load_1min_before"] = load_before
    return result, rusage


def run_child(command, timeout, cwd=None):
    """Runs `command`, returns (exit code, stdout, stderr, its rusage).

    os.wait4 gives the resource usage of this child alone (its ru_maxrss is
    the peak RSS of the child and of any children it waited for), unaffected
    by earlier runs. Returns exit code None if the run was killed at the
    timeout. The child runs in its own process group so that a timeout also
    ends what it started (Brian2's compiled binary, the compiler).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, rusage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        code = None if timed_out.is_set() else proc.returncode
        return code, out.read().decode(), err.read().decode(), rusage


def run_peer(simulator, network, threads, seed, args):
    command = [
        sys.executable,
        os.path.join(HERE, PEER_SCRIPTS[simulator]),
        "--network", network,
        "--threads", str(threads),
        "--seed", str(seed),
        "--duration-ms", str(args.duration_ms),
    ]
    label = f"{simulator} {network} threads={threads} seed={seed}"
    log(f"running {label}")
    ran = run_json_child(command, label, args.timeout, cwd=HERE)
    if ran is None:
        return None
    result, _ = ran
    log(f"  build {result['build_s']:.2f} s, simulate {result['simulate_s']:.3f} s, rates {fmt_pops(result['rate_hz'])} Hz")
    return result


def neurc_binary(args):
    """Builds neurc and checks that it has the `run` command; returns the
    binary's path, or None (with a message) if neurc cannot run networks."""
    if args.neurc:
        binary = os.path.abspath(args.neurc)
    else:
        log("building neurc: cargo build --release")
        build = subprocess.run(["cargo", "build", "--release"], cwd=REPO, capture_output=True, text=True)
        if build.returncode != 0:
            log(f"skipping neurc: cargo build --release failed\n{build.stderr[-3000:]}")
            return None
        binary = os.path.join(REPO, "target", "release", "neurc")
    probe = subprocess.run([binary, "run", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        log(f"skipping neurc: `{binary} run` is not available ({(probe.stderr or probe.stdout).strip().splitlines()[0]})")
        return None
    return binary


def run_neurc(binary, network, threads, seed, args):
    label = f"neurc {network} threads={threads} seed={seed}"
    log(f"running {label}")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="neurc-peers-") as out_dir:
        command = [
            binary, "run", os.path.join("examples", f"{network}.snn"),
            "--target", "cpu", "-o", out_dir,
            "--threads", str(threads), "--seed", str(seed), "--quiet",
        ]
        code, _, err, rusage = run_child(command, args.timeout, cwd=REPO)
        if code is None:
            log(f"{label}: timed out after {args.timeout:.0f} s ({uptime()})")
            return None
        if code != 0:
            log(f"{label}: failed with exit code {code}\n{err[-3000:]}")
            return None
        with open(os.path.join(out_dir, "report.json")) as f:
            report = json.load(f)

    wall, counts = report["wall_s"], report["counts"]
    populations = {p["name"]: p for p in report["populations"]}
    duration_ms = report["duration_s"] * 1000.0
    if abs(duration_ms - args.duration_ms) > 1e-6:
        log(f"  warning: neurc simulated {duration_ms:g} ms (the duration in the .snn file), the peers {args.duration_ms:g} ms")
    result = {
        "simulator": "neurc",
        "network": network,
        "threads": threads,
        "seed": seed,
        "duration_ms": duration_ms,
        "precision": report["precision"],
        "build_s": wall["compile"] + wall["expand"] + wall["jit"] + wall["setup"],
        "simulate_s": wall["simulate"],
        "neurons": counts["neurons"],
        "synapses": counts["synapses"],
        "spikes": {pop: populations[pop]["spikes"] for pop in POPULATIONS},
        "rate_hz": {pop: populations[pop]["rate_hz"] for pop in POPULATIONS},
        "cv_isi": {pop: populations[pop]["cv_isi"] for pop in POPULATIONS},
        "synaptic_events": counts["synaptic_events"],
        "poisson_events": counts.get("source_events", 0),
        # Peak RSS of the neurc process from os.wait4; neurc's own figure beside it.
        "peak_rss_bytes": rusage.ru_maxrss * 1024,
        "neurc_reported_peak_rss_bytes": report["memory"]["peak_rss_bytes"],
        "load_1min_before": load_before,
        "wall_s": wall,
    }
    log(f"  build {result['build_s']:.2f} s, simulate {result['simulate_s']:.3f} s, rates {fmt_pops(result['rate_hz'])} Hz")
    return result


def fmt_pops(values, digits=2):
    return "/".join("-" if values.get(p) is None else f"{values[p]:.{digits}f}" for p in POPULATIONS)


def median_result(runs):
    """The median of every number over repeated runs of one case."""
    first = runs[0]
    summary = {k: first[k] for k in ("simulator", "network", "threads", "seed", "neurons")}
    summary["repeats"] = len(runs)
    for key in ("build_s", "simulate_s", "synapses", "synaptic_events", "poisson_events", "peak_rss_bytes"):
        summary[key] = statistics.median(r[key] for r in runs)
    for key in ("rate_hz", "cv_isi"):
        summary[key] = {
            pop: statistics.median(r[key][pop] for r in runs) if all(r[key][pop] is not None for r in runs) else None
            for pop in POPULATIONS
        }
    if first["simulator"] == "brian2":
        summary["compile_cached"] = sum(bool(r["compile_cached"]) for r in runs)
    return summary


def mode_label(summary):
    if summary["simulator"] == "nest":
        return "NEST 3.10"
    if summary["simulator"] == "brian2":
        openmp = ", OpenMP" if summary["threads"] > 1 else ""
        return f"Brian2 2.9 C++ standalone{openmp} (compile cached {summary['compile_cached']}/{summary['repeats']})"
    return "neurc cpu"


def markdown_table(summaries):
    neurc_simulate = {
        (s["network"], s["threads"]): s["simulate_s"] for s in summaries if s["simulator"] == "neurc"
    }
    lines = [
        "| network | simulator, mode | threads | build s | simulate s | simulate / neurc "
        "| rate exc/inh Hz | CV ISI exc/inh | synaptic events/s | bytes/synapse |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        reference = neurc_simulate.get((s["network"], s["threads"]))
        ratio = f"{s['simulate_s'] / reference:.2f}" if reference else "-"
        events_per_s = s["synaptic_events"] / s["simulate_s"]
        bytes_per_synapse = s["peak_rss_bytes"] / s["synapses"]
        lines.append(
            f"| {s['network']} | {mode_label(s)} | {s['threads']} | {s['build_s']:.2f} | {s['simulate_s']:.3f} "
            f"| {ratio} | {fmt_pops(s['rate_hz'])} | {fmt_pops(s['cv_isi'], 3)} "
            f"| {events_per_s / 1e6:.3g} M | {bytes_per_synapse:.1f} |"
        )
    return "\n".join(lines)


def compare(args, networks, simulators, thread_counts):
    binary = None if args.no_neurc else neurc_binary(args)
    if binary:
        simulators = ["neurc", *simulators]
    runs, summaries = [], []
    for network in networks:
        for threads in thread_counts:
            for simulator in simulators:
                results = []
                for _ in range(args.repeats):
                    if simulator == "neurc":
                        result = run_neurc(binary, network, threads, args.seed, args)
                    else:
                        result = run_peer(simulator, network, threads, args.seed, args)
                    if result is not None:
                        results.append(result)
                runs.extend(results)
                if results:
                    summaries.append(median_result(results))
    return runs, summaries


def spread(args, networks, simulators):
    """Seeds 1..K on one thread: the run-to-run spread of each peer's rates
    and CVs, written to reference.json."""
    runs = []
    reference = {
        "description": (
            "Run-to-run spread of NEST and Brian2 on examples/cuba.snn and examples/brunel.snn: "
            "one run per seed, 1 thread; rates over all neurons of a population; sd is the sample "
            "standard deviation (n - 1)."
        ),
        "duration_ms": args.duration_ms,
        "threads": 1,
        "seeds": list(range(1, args.seeds + 1)),
        "cv_isi_rule": None,
        "networks": {},
    }
    for network in networks:
        per_simulator = {}
        for simulator in simulators:
            results = []
            for seed in reference["seeds"]:
                result = run_peer(simulator, network, 1, seed, args)
                if result is None:
                    sys.exit(f"spread: {simulator} {network} seed {seed} failed; reference.json not written")
                results.append(result)
            runs.extend(results)
            reference["cv_isi_rule"] = results[0]["cv_isi_rule"]
            entry = {"version": results[0]["version"]}
            for pop in POPULATIONS:
                entry[pop] = {
                    "rate_hz": describe([r["rate_hz"][pop] for r in results]),
                    "cv_isi": describe([r["cv_isi"][pop] for r in results]),
                }
            per_simulator[simulator] = entry
        reference["networks"][network] = per_simulator
    with open(args.reference_out, "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")
    log(f"wrote {args.reference_out}")
    return runs, reference


def describe(values):
    return {
        "values": values,
        "mean": statistics.mean(values),
        "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }


def spread_table(reference):
    lines = [
        "| network | simulator | population | rate Hz mean ± sd (min–max) | CV ISI mean ± sd (min–max) |",
        "|---|---|---|---|---|",
    ]
    for network, per_simulator in reference["networks"].items():
        for simulator, per_pop in per_simulator.items():
            for pop in POPULATIONS:
                rate, cv = per_pop[pop]["rate_hz"], per_pop[pop]["cv_isi"]
                lines.append(
                    f"| {network} | {simulator} | {pop} "
                    f"| {rate['mean']:.3f} ± {rate['sd']:.3f} ({rate['min']:.3f}–{rate['max']:.3f}) "
                    f"| {cv['mean']:.4f} ± {cv['sd']:.4f} ({cv['min']:.4f}–{cv['max']:.4f}) |"
                )
    return "\n".join(lines)


def main():
    args = parse_args()
    networks = args.networks.split(",")
    simulators = args.simulators.split(",")
    thread_counts = [int(t) for t in args.threads.split(",")]
    for name in simulators:
        if name not in PEER_SCRIPTS:
            sys.exit(f"unknown simulator {name!r}; choose from {', '.join(PEER_SCRIPTS)}")

    load_before = uptime()
    print(f"load before: {load_before}")
    started = time.time()
    if args.spread:
        runs, reference = spread(args, networks, simulators)
        table = spread_table(reference)
    else:
        runs, summaries = compare(args, networks, simulators, thread_counts)
        table = markdown_table(summaries)
    load_after = uptime()
    print(f"load after:  {load_after}  ({time.time() - started:.0f} s)")
    print()
    print(table)

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"uptime_before": load_before, "uptime_after": load_after, "runs": runs}, f, indent=2)
            f.write("\n")
        log(f"wrote {args.json_out}")


if __name__ == "__main__":
    main()
