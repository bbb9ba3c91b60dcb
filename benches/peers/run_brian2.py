"""Run examples/cuba.snn or examples/brunel.snn in Brian2 2.9 (C++ standalone)
and print one JSON object (fields in README.md).

    python run_brian2.py --network cuba --threads 1 --seed 1 --duration-ms 1000

The generated project is kept in a build directory per network and thread
count (--build-dir), so a second run only recompiles the files that changed
(main.cpp, which holds the seed and the duration); --clean forces a full
compile.
"""

import os
import sys
import tempfile
import time

from common import (
    CV_RULE,
    SIZES,
    StdoutToStderr,
    emit,
    parse_args,
    peak_rss_self_bytes,
    spike_statistics,
    synaptic_events,
)

# Wall time of the simulation loop alone, measured inside the compiled
# program around Network::run and written to results/loop_wall_s. Brian2's
# own figure (device._last_run_time) is process CPU time when OpenMP is off,
# which is less than the wall time whenever another process takes the core.
LOOP_START = "const auto peer_loop_start = std::chrono::steady_clock::now();"
LOOP_END = """{
    std::ofstream loop_wall(brian::results_dir + "loop_wall_s");
    loop_wall.precision(9);
    loop_wall << std::chrono::duration<double>(std::chrono::steady_clock::now() - peer_loop_start).count();
}"""

# Runs the compiled simulation and writes its peak RSS (kilobytes) to
# results/peak_rss_kb, so that it is not mixed up with the compiler's.
RUN_AND_MEASURE = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
with open("results/peak_rss_kb", "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def build_cuba(b2):
    """Vogels & Abbott (2005) CUBA, as Brian2's examples/CUBA.py, with the
    one-step (0.1 ms) delay neurc uses. v is held while refractory; ge and gi
    keep decaying and receive input, as in neurc (where the spike condition's
    variable v is the held one)."""
    ms, mV = b2.ms, b2.mV
    namespace = {
        "taum": 20 * ms,
        "taue": 5 * ms,
        "taui": 10 * ms,
        "Vt": -50 * mV,
        "Vr": -60 * mV,
        "El": -49 * mV,
        "we": 1.62 * mV,
        "wi": -9 * mV,
    }
    equations = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    sizes = SIZES["cuba"]
    neurons = b2.NeuronGroup(
        sizes["exc"] + sizes["inh"],
        equations,
        threshold="v > Vt",
        reset="v = Vr",
        refractory=5 * ms,
        method="exact",
        namespace=namespace,
    )
    neurons.v = "Vr + rand() * (Vt - Vr)"
    neurons.ge = 0 * mV
    neurons.gi = 0 * mV
    exc, inh = neurons[: sizes["exc"]], neurons[sizes["exc"] :]

    # Bernoulli connectivity over all pairs, autapses included.
    exc_syn = b2.Synapses(exc, neurons, on_pre="ge += we", delay=0.1 * ms, namespace=namespace)
    inh_syn = b2.Synapses(inh, neurons, on_pre="gi += wi", delay=0.1 * ms, namespace=namespace)
    exc_syn.connect(p=0.02)
    inh_syn.connect(p=0.02)
    return neurons, {"exc": exc_syn, "inh": inh_syn}, [], None


def build_brunel(b2):
    """Brunel (2000) model A, g = 5, eta = 2, matching NEST's brunel_delta_nest
    example: a spike makes v jump, and input arriving while the target is
    refractory is discarded (the int(not_refractory) factor)."""
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    sizes = SIZES["brunel"]
    c_e, c_i = sizes["exc"] // 10, sizes["inh"] // 10  # 1000, 250
    namespace = {
        "tau": 20 * ms,
        "theta": 20 * mV,
        "Vr": 10 * mV,
        "J": 0.1 * mV,
        "g": 5.0,
    }
    neurons = b2.NeuronGroup(
        sizes["exc"] + sizes["inh"],
        "dv/dt = -v / tau : volt (unless refractory)",
        threshold="v >= theta",
        reset="v = Vr",
        refractory=2 * ms,
        method="exact",
        namespace=namespace,
    )
    neurons.v = "rand() * theta"
    exc, inh = neurons[: sizes["exc"]], neurons[sizes["exc"] :]

    # Fixed in-degree with replacement: every target draws k sources uniformly
    # (multapses and autapses allowed), generated in the compiled code.
    exc_syn = b2.Synapses(
        exc, neurons, on_pre="v_post += J * int(not_refractory_post)", delay=1.5 * ms, namespace=namespace
    )
    inh_syn = b2.Synapses(
        inh, neurons, on_pre="v_post += -g * J * int(not_refractory_post)", delay=1.5 * ms, namespace=namespace
    )
    exc_syn.connect(i=f"int(rand() * N_pre) for _ in range({c_e})")
    inh_syn.connect(i=f"int(rand() * N_pre) for _ in range({c_i})")

    # External drive: c_e independent Poisson inputs at eta * nu_thr = 20 Hz
    # each, 20 kHz per neuron in total, weight J. PoissonInput draws the number
    # of input spikes per step binomially; it has no delay, which does not
    # change the statistics of an independent Poisson train.
    nu_thr = namespace["theta"] / (namespace["J"] * c_e * namespace["tau"])
    drive = b2.PoissonInput(
        neurons, "v", N=c_e, rate=2.0 * nu_thr, weight="J * int(not_refractory)"
    )
    poisson_rate_per_neuron = float(c_e * 2.0 * nu_thr / Hz)
    return neurons, {"exc": exc_syn, "inh": inh_syn}, [drive], poisson_rate_per_neuron


def main():
    parser = parse_args("Brian2")
    parser.add_argument("--build-dir", help="default: <tmp>/neurc-peers-brian2/<network>-t<threads>")
    parser.add_argument("--clean", action="store_true", help="compile everything anew")
    args = parser.parse_args()
    build_dir = os.path.abspath(
        args.build_dir
        or os.path.join(tempfile.gettempdir(), "neurc-peers-brian2", f"{args.network}-t{args.threads}")
    )

    with StdoutToStderr():
        import brian2 as b2

        cached = os.path.exists(os.path.join(build_dir, "main")) and not args.clean
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        if args.threads > 1:
            b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", RUN_AND_MEASURE, "./main"]
        b2.prefs.codegen.cpp.headers += ["<chrono>", "<fstream>"]
        b2.device.insert_code("before_network_run", LOOP_START)
        b2.device.insert_code("after_network_run", LOOP_END)
        b2.defaultclock.dt = 0.1 * b2.ms
        b2.seed(args.seed)

        start = time.perf_counter()
        if args.network == "cuba":
            neurons, projections, extra, poisson_rate = build_cuba(b2)
        else:
            neurons, projections, extra, poisson_rate = build_brunel(b2)
        monitor = b2.SpikeMonitor(neurons)
        network = b2.Network(neurons, monitor, *projections.values(), *extra)
        network.run(args.duration_ms * b2.ms)
        b2.device.build(directory=build_dir, clean=args.clean, with_output=False)
        total_s = time.perf_counter() - start

        with open(os.path.join(build_dir, "results", "loop_wall_s")) as f:
            simulate_s = float(f.read())
        with open(os.path.join(build_dir, "results", "peak_rss_kb")) as f:
            peak_rss = int(f.read()) * 1024

        spikes, rates, cvs = spike_statistics(
            args.network, monitor.i[:], monitor.t[:] / b2.ms, args.duration_ms
        )
        out = {pop: int(len(syn)) for pop, syn in projections.items()}
        n_neurons = len(neurons)
        python_peak_rss = peak_rss_self_bytes()

    poisson_events = 0
    if poisson_rate is not None:
        poisson_events = poisson_rate * args.duration_ms / 1000.0 * n_neurons
    emit(
        {
            "simulator": "brian2",
            "version": b2.__version__,
            "network": args.network,
            "threads": args.threads,
            "seed": args.seed,
            "duration_ms": args.duration_ms,
            "build_s": total_s - simulate_s,
            "simulate_s": simulate_s,
            "brian2_last_run_time_s": b2.device._last_run_time,
            "brian2_make_s": b2.device.timers["compile"]["make"],
            "brian2_binary_s": b2.device.timers["run_binary"],
            "compile_cached": cached,
            "neurons": n_neurons,
            "synapses": sum(out.values()),
            "spikes": spikes,
            "rate_hz": rates,
            "cv_isi": cvs,
            "cv_isi_rule": CV_RULE,
            "synaptic_events": synaptic_events(args.network, spikes, out),
            "poisson_events": poisson_events,
            "peak_rss_bytes": peak_rss,
            "python_peak_rss_bytes": python_peak_rss,
        }
    )


if __name__ == "__main__":
    main()
