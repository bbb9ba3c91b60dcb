"""Run the dense-layer network (benches/dense_layer.snn) on neurc's chip
emulator, in lava-nc's bit-accurate CPU simulation and in SANA-FE, each run
in a fresh child process, and print a Markdown table of wall times and
synaptic event rates (see README.md, "Chip emulator beside lava-nc and
SANA-FE").

    /work/chip-peers-venv/bin/python benches/peers/chip_compare.py --json-out /tmp/chip-peers.json

The performance targets: the emulator at least 100 times as fast as lava-nc
and faster than SANA-FE on the same network, measured in the same run.
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from chip_common import DENSE, DENSE_SNN, REPO, WEIGHT_BITS, WEIGHT_EXP, WEIGHT_SIGN
from compare import log, run_child, run_json_child, uptime

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_SCRIPTS = {"lava": "chip_lava.py", "sanafe": "chip_sanafe.py"}
LAYERS = ("hidden", "out")
# The targets, as neurc's synaptic events per second over the peer's: at
# least 100 for lava-nc, above 1 (faster) for SANA-FE.
TARGETS = {"lava": (100.0, "at least 100x"), "sanafe": (1.0, "above 1x")}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulators", default="lava,sanafe", help="peers to run: lava,sanafe")
    parser.add_argument("--repeats", type=int, default=3, help="runs per simulator; the table shows medians")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=DENSE["steps"], help="steps of dt = 1 ms")
    parser.add_argument(
        "--rate-hz",
        type=float,
        default=DENSE["rate_hz"],
        help="the sources' rate (neurc: --set input_rate); lower rates show each simulator's cost per step",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--neurc", help="the neurc binary (default: target/release/neurc)")
    parser.add_argument("--no-neurc", action="store_true", help="run the peers only")
    parser.add_argument(
        "--neurc-mode",
        default="hardware",
        choices=["hardware", "lava"],
        help="the emulator's arithmetic (neurc run --mode); both cost the same",
    )
    parser.add_argument(
        "--neurc-threads",
        type=thread_counts,
        default=[1],
        help="neurc's thread counts, each run as its own entry (e.g. 1,2); the speed-ups are of the first",
    )
    parser.add_argument("--sanafe-threads", type=int, default=1, help="SANA-FE processing threads")
    parser.add_argument("--json-out", help="write every run's raw result here")
    return parser.parse_args()


def thread_counts(text):
    """A comma-separated list of positive thread counts, such as "1,2"."""
    try:
        counts = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of whole numbers such as 1,2") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give one or more thread counts of at least 1")
    return counts


def neurc_binary(args):
    """The neurc binary, or None with a message when there is none."""
    binary = os.path.abspath(args.neurc or os.path.join(REPO, "target", "release", "neurc"))
    if not os.access(binary, os.X_OK):
        log(f"no neurc binary at {binary}: build one (cargo build --release) or pass --neurc PATH")
        return None
    return binary


def has_loihi_run(binary):
    """Whether `neurc run` offers --target loihi; logs why not otherwise."""
    probe = subprocess.run([binary, "run", "--help"], check=False, capture_output=True, text=True)
    if probe.returncode != 0:
        first = (probe.stderr or probe.stdout).strip().splitlines()[:1]
        log(f"skipping neurc: `{binary} run` is not available ({first[0] if first else 'no output'})")
        return False
    if "loihi" not in probe.stdout:
        log(
            f"skipping neurc: `{binary} run` has no --target loihi (this binary runs only "
            "on the CPU); build a neurc with the chip emulator and pass it with --neurc"
        )
        return False
    return True


def compile_mapping(binary, out_dir):
    """`neurc compile --target loihi`: the per-core layout SANA-FE copies.
    Checks that the compiler chose the synapse format the peers assume.
    Returns the path of resources.json, or None."""
    command = [binary, "compile", DENSE_SNN, "--target", "loihi", "-o", out_dir]
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        log(f"neurc compile failed ({done.returncode}); SANA-FE uses its own placement\n{done.stderr[-2000:]}")
        return None
    with open(os.path.join(out_dir, "quantization.json"), encoding="utf-8") as f:
        quantization = json.load(f)
    for projection in quantization["projections"]:
        chosen = (projection["weight_bits"], projection["weight_exponent"], str(projection["sign_mode"]).lower())
        if chosen != (WEIGHT_BITS, WEIGHT_EXP, WEIGHT_SIGN):
            log(
                f"warning: neurc stores {projection['projection']} with {chosen}, the peers with "
                f"{(WEIGHT_BITS, WEIGHT_EXP, WEIGHT_SIGN)}: the networks differ"
            )
    with open(os.path.join(out_dir, "resources.json"), encoding="utf-8") as f:
        resources = json.load(f)
    log(f"neurc's mapping: {resources['cores_used']} cores on {resources['tiles_used']} tiles")
    return os.path.join(out_dir, "resources.json")


def run_peer(simulator, args, resources):
    command = [
        sys.executable,
        os.path.join(HERE, PEER_SCRIPTS[simulator]),
        "--seed", str(args.seed),
        "--steps", str(args.steps),
        "--rate-hz", str(args.rate_hz),
    ]
    if simulator == "sanafe":
        command += ["--threads", str(args.sanafe_threads)]
        if resources:
            command += ["--resources", resources]
    log(f"running {simulator}")
    ran = run_json_child(command, simulator, args.timeout, cwd=HERE)
    if ran is None:
        return None
    result, rusage = ran
    result["peer"] = simulator
    result["child_peak_rss_bytes"] = rusage.ru_maxrss * 1024
    log_result(result)
    return result


def run_neurc(binary, args, threads):
    log(f"running neurc on {threads} thread(s)")
    load_before = os.getloadavg()[0]
    duration_ms = args.steps * DENSE["dt_ms"]
    with tempfile.TemporaryDirectory(prefix="neurc-chip-peers-") as out_dir:
        command = [
            binary, "run", DENSE_SNN, "--target", "loihi", "-o", out_dir,
            "--duration", f"{duration_ms:g} ms", "--seed", str(args.seed),
            "--mode", args.neurc_mode, "--threads", str(threads), "-q",
            "--set", f"input_rate={args.rate_hz:g} Hz",
        ]
        code, _, err, rusage = run_child(command, args.timeout, cwd=REPO)
        if code is None:
            log(f"neurc: timed out after {args.timeout:.0f} s ({uptime()})")
            return None
        if code != 0:
            log(f"neurc: failed with exit code {code}\n{err[-3000:]}")
            return None
        with open(os.path.join(out_dir, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
    return neurc_result(report, load_before, rusage.ru_maxrss * 1024, args)


def neurc_result(report, load_before, peak_rss, args):
    """The fields the peers print, from neurc's report.json."""
    wall, counts = report["wall_s"], report["counts"]
    steps = report["steps"]
    if steps != args.steps:
        log(f"  warning: neurc ran {steps} steps, the peers {args.steps}")
    populations = {p["name"]: p for p in report.get("populations", [])}
    chip = report.get("chip") or {}
    totals = chip.get("totals", {})
    result = {
        "simulator": "neurc",
        "peer": "neurc",
        "mode": f"--target {report.get('target', 'loihi')}"
        + (f", {chip['arithmetic']} arithmetic" if "arithmetic" in chip else "")
        + f", {report.get('threads', 1)} thread(s)",
        "network": "dense",
        "seed": report.get("seed"),
        "steps": steps,
        # Everything before the simulation loop: parse, expand, map, load.
        "build_s": sum(v for k, v in wall.items() if k not in ("simulate", "write", "total")),
        "simulate_s": wall["simulate"],
        "spikes": {p: populations[p]["spikes"] for p in ("input", *LAYERS) if p in populations},
        "rate_hz": {p: populations[p]["rate_hz"] for p in ("input", *LAYERS) if p in populations},
        "synaptic_events": counts["synaptic_events"],
        "source_events": counts.get("source_events", 0),
        "energy_per_step_j": totals["energy_per_step_nj"] * 1e-9 if "energy_per_step_nj" in totals else None,
        "latency_per_step_s": totals["time_per_step_ns"] * 1e-9 if "time_per_step_ns" in totals else None,
        "child_peak_rss_bytes": peak_rss,
        "load_1min_before": load_before,
        "wall_s": wall,
    }
    log_result(result)
    return result


def log_result(result):
    rates = "/".join(f"{result['rate_hz'].get(p, float('nan')):.1f}" for p in LAYERS)
    log(
        f"  build {result['build_s']:.2f} s, simulate {result['simulate_s']:.3f} s, "
        f"{events(result) / result['simulate_s'] / 1e6:.3g} M events/s, rates hidden/out {rates} Hz"
    )


def events(result):
    """Synaptic events delivered, the sources' included: on the chip both
    are synaptic operations of the same cores."""
    return result["synaptic_events"] + result["source_events"]


def median_result(runs):
    """Medians over the repeats of one simulator."""
    first = runs[0]
    summary = {k: first.get(k) for k in ("peer", "simulator", "version", "mode", "steps", "entry")}
    summary["repeats"] = len(runs)
    for key in ("build_s", "simulate_s", "child_peak_rss_bytes"):
        summary[key] = statistics.median(r[key] for r in runs)
    summary["events"] = statistics.median(events(r) for r in runs)
    summary["events_per_s"] = statistics.median(events(r) / r["simulate_s"] for r in runs)
    summary["rate_hz"] = {
        p: statistics.median(r["rate_hz"][p] for r in runs) for p in LAYERS if p in first["rate_hz"]
    }
    for key in ("energy_per_step_j", "latency_per_step_s"):
        values = [r.get(key) for r in runs if r.get(key) is not None]
        summary[key] = statistics.median(values) if values else None
    return summary


def label(summary):
    if summary["peer"] == "neurc":
        return f"neurc emulator ({summary['mode']})"
    if summary["peer"] == "lava":
        return f"lava-nc {summary['version']}, Loihi1SimCfg fixed_pt"
    return f"SANA-FE {summary['version']}, loihi.yaml, {summary['mode'].split(', ', 1)[1]}"


def speedups(neurc, peer):
    """How many times faster neurc is than `peer`: by wall time per step,
    and by synaptic events per second (which corrects for the small
    difference in activity between neurc's random draws and the peers'),
    None where a run delivered no events."""
    per_step = (peer["simulate_s"] / peer["steps"]) / (neurc["simulate_s"] / neurc["steps"])
    by_events = None
    if neurc["events_per_s"] > 0 and peer["events_per_s"] > 0:
        by_events = neurc["events_per_s"] / peer["events_per_s"]
    return per_step, by_events


def markdown_table(summaries):
    neurc = next((s for s in summaries if s["peer"] == "neurc"), None)
    lines = [
        (
            "| simulator, mode | steps | build s | simulate s | µs/step | rate hidden/out Hz "
            "| synaptic events/s | neurc speed-up (time/step) | neurc speed-up (events/s) "
            "| chip energy µJ/step | chip latency µs/step | peak RSS MB |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        by_time, by_events = "-", "-"
        if neurc is not None and s["peer"] != "neurc":
            per_step, events_ratio = speedups(neurc, s)
            by_time = f"{per_step:.3g}"
            by_events = "-" if events_ratio is None else f"{events_ratio:.3g}"
        rates = "/".join(f"{s['rate_hz'][p]:.1f}" for p in LAYERS if p in s["rate_hz"]) or "-"
        energy = "-" if s["energy_per_step_j"] is None else f"{s['energy_per_step_j'] * 1e6:.3g}"
        latency = "-" if s["latency_per_step_s"] is None else f"{s['latency_per_step_s'] * 1e6:.3g}"
        lines.append(
            f"| {label(s)} | {s['steps']} | {s['build_s']:.2f} | {s['simulate_s']:.3f} "
            f"| {s['simulate_s'] / s['steps'] * 1e6:.1f} | {rates} | {s['events_per_s'] / 1e6:.3g} M "
            f"| {by_time} | {by_events} | {energy} | {latency} | {s['child_peak_rss_bytes'] / 2**20:.0f} |"
        )
    return "\n".join(lines)


def verdicts(summaries):
    """One line per peer: the speed-up and its target (by synaptic events
    per second, or by time per step when a run delivered no events)."""
    neurcs = [s for s in summaries if s["peer"] == "neurc"]
    if not neurcs:
        return ["neurc did not run: no speed-ups to report"]
    lines = []
    for neurc in neurcs:
        for s in summaries:
            if s["peer"] == "neurc":
                continue
            per_step, by_events = speedups(neurc, s)
            speedup, measure = (per_step, "time per step") if by_events is None else (by_events, "synaptic events/s")
            bound, wording = TARGETS[s["peer"]]
            met = speedup >= bound if s["peer"] == "lava" else speedup > bound
            lines.append(
                f"neurc ({neurc['entry']}) vs {s['peer']}: {speedup:.3g}x by {measure} "
                f"(target {wording}): {'met' if met else 'NOT met'}"
            )
    return lines


def main():
    args = parse_args()
    simulators = args.simulators.split(",") if args.simulators else []
    for name in simulators:
        if name not in PEER_SCRIPTS:
            sys.exit(f"unknown simulator {name!r}; choose from {', '.join(PEER_SCRIPTS)}")

    load_before = uptime()
    print(f"load before: {load_before}")
    started = time.time()
    binary = None if args.no_neurc else neurc_binary(args)
    with tempfile.TemporaryDirectory(prefix="neurc-chip-map-") as map_dir:
        resources = compile_mapping(binary, map_dir) if binary else None
        run_neurc_too = binary is not None and has_loihi_run(binary)
        # One entry per neurc thread count, then the peers, in that order.
        runners = {}
        if run_neurc_too:
            for threads in args.neurc_threads:
                runners[f"neurc-t{threads}"] = functools.partial(run_neurc, binary, args, threads)
        for name in simulators:
            runners[name] = functools.partial(run_peer, name, args, resources)
        per_simulator = {name: [] for name in runners}
        # Repeats interleave the simulators, so that each pair is measured
        # under the same load.
        for repeat in range(args.repeats):
            for name, runner in runners.items():
                log(f"repeat {repeat + 1}/{args.repeats}")
                result = runner()
                if result is not None:
                    result["entry"] = name
                    per_simulator[name].append(result)
    summaries = [median_result(runs) for runs in per_simulator.values() if runs]
    load_after = uptime()
    print(f"load after:  {load_after}  ({time.time() - started:.0f} s)")
    print()
    print(markdown_table(summaries))
    print()
    for line in verdicts(summaries):
        print(line)

    if args.json_out:
        runs = [r for rs in per_simulator.values() for r in rs]
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(
                {"uptime_before": load_before, "uptime_after": load_after, "summaries": summaries, "runs": runs},
                f,
                indent=2,
            )
            f.write("\n")
        log(f"wrote {args.json_out}")


if __name__ == "__main__":
    main()
