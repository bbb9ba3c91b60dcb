"""Run examples/cuba.snn or examples/brunel.snn in NEST 3.10 and print one
JSON object (fields in README.md).

    python run_nest.py --network brunel --threads 2 --seed 1 --duration-ms 1000
"""

import os
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

DT_MS = 0.1


def build_cuba():
    """Vogels & Abbott (2005) CUBA with iaf_psc_exp.

    The .snn model is written in voltage units: dv/dt = (ge + gi - (v - El)) / taum
    with ge, gi in mV. iaf_psc_exp has dV/dt = -(V - E_L)/tau_m + I/C_m, so the
    same network has I = C_m * g / tau_m, and a weight of w mV onto g becomes a
    PSC amplitude of C_m * w / tau_m pA. Any C_m gives the same dynamics.
    """
    c_m, tau_m = 250.0, 20.0  # pF, ms
    params = {
        "C_m": c_m,
        "tau_m": tau_m,
        "tau_syn_ex": 5.0,
        "tau_syn_in": 10.0,
        "t_ref": 5.0,
        "E_L": -49.0,
        "V_th": -50.0,
        "V_reset": -60.0,
        "I_e": 0.0,
    }
    sizes = SIZES["cuba"]
    exc = nest.Create("iaf_psc_exp", sizes["exc"], params=params)
    inh = nest.Create("iaf_psc_exp", sizes["inh"], params=params)
    neurons = exc + inh
    neurons.V_m = nest.random.uniform(min=-60.0, max=-50.0)

    # Bernoulli connectivity, autapses allowed; neurc's default delay of one
    # step, here 0.1 ms, the smallest NEST allows at this resolution.
    rule = {"rule": "pairwise_bernoulli", "p": 0.02, "allow_autapses": True}
    w_exc = c_m * 1.62 / tau_m  # 20.25 pA
    w_inh = c_m * -9.0 / tau_m  # -112.5 pA
    nest.Connect(exc, neurons, rule, {"weight": w_exc, "delay": DT_MS})
    nest.Connect(inh, neurons, rule, {"weight": w_inh, "delay": DT_MS})

    def synapses_out():
        return {
            "exc": len(nest.GetConnections(source=exc, target=neurons)),
            "inh": len(nest.GetConnections(source=inh, target=neurons)),
        }

    return neurons, synapses_out, 0


def build_brunel(duration_ms):
    """Brunel (2000) model A, g = 5, eta = 2, as NEST's brunel_delta_nest
    example builds it. Input arriving during the refractory period is
    discarded (refractory_input False, NEST's default), as in neurc's LifDelta.
    """
    sizes = SIZES["brunel"]
    n_total = sizes["exc"] + sizes["inh"]
    tau_m, theta, j, g, eta, delay = 20.0, 20.0, 0.1, 5.0, 2.0, 1.5
    c_e, c_i = sizes["exc"] // 10, sizes["inh"] // 10  # 1000, 250
    nu_thr = theta / (j * c_e * tau_m)  # spikes per ms
    p_rate = 1000.0 * eta * nu_thr * c_e  # 20 000 Hz

    params = {
        "C_m": 1.0,
        "tau_m": tau_m,
        "t_ref": 2.0,
        "E_L": 0.0,
        "V_th": theta,
        "V_reset": 10.0,
        "refractory_input": False,
    }
    exc = nest.Create("iaf_psc_delta", sizes["exc"], params=params)
    inh = nest.Create("iaf_psc_delta", sizes["inh"], params=params)
    neurons = exc + inh
    neurons.V_m = nest.random.uniform(min=0.0, max=theta)

    # One generator: NEST draws an independent train for every target.
    drive = nest.Create("poisson_generator", params={"rate": p_rate})
    nest.Connect(drive, neurons, syn_spec={"weight": j, "delay": delay})

    def indegree(k):
        return {"rule": "fixed_indegree", "indegree": k, "allow_autapses": True, "allow_multapses": True}

    nest.Connect(exc, neurons, indegree(c_e), {"weight": j, "delay": delay})
    nest.Connect(inh, neurons, indegree(c_i), {"weight": -g * j, "delay": delay})

    def synapses_out():
        # Fixed in-degree makes exactly k synapses per target; listing 15.6 M
        # connections to count them would cost more memory than the network.
        out = {"exc": c_e * n_total, "inh": c_i * n_total}
        recorded = nest.num_connections - n_total * 2  # less drive and recorder
        assert recorded == sum(out.values()), (recorded, out)
        return out

    poisson_events = p_rate * duration_ms / 1000.0 * n_total
    return neurons, synapses_out, poisson_events


def main():
    args = parse_args("NEST").parse_args()

    with StdoutToStderr():
        baseline_rss = peak_rss_self_bytes()
        start = time.perf_counter()
        nest.ResetKernel()
        nest.verbosity = nest.VerbosityLevel.ERROR
        nest.SetKernelStatus(
            {"resolution": DT_MS, "local_num_threads": args.threads, "rng_seed": args.seed}
        )
        if args.network == "cuba":
            neurons, synapses_out, poisson_events = build_cuba()
        else:
            neurons, synapses_out, poisson_events = build_brunel(args.duration_ms)
        recorder = nest.Create("spike_recorder")
        nest.Connect(neurons, recorder)
        build_s = time.perf_counter() - start

        # nest.Simulate is Prepare + Run + Cleanup; Prepare is timed apart
        # because it finishes building the connection tables.
        start = time.perf_counter()
        nest.Prepare()
        prepare_s = time.perf_counter() - start
        nest.Run(args.duration_ms)
        nest.Cleanup()
        simulate_s = time.perf_counter() - start
        peak_rss = peak_rss_self_bytes()

        events = recorder.get("events")
        first_id = neurons[0].global_id
        indices = [sender - first_id for sender in events["senders"]]
        spikes, rates, cvs = spike_statistics(args.network, indices, events["times"], args.duration_ms)
        out = synapses_out()

    result = {
        "simulator": "nest",
        "version": nest.__version__,
        "network": args.network,
        "threads": args.threads,
        "seed": args.seed,
        "duration_ms": args.duration_ms,
        "build_s": build_s,
        "simulate_s": simulate_s,
        "nest_prepare_s": prepare_s,
        "neurons": len(neurons),
        "synapses": sum(out.values()),
        "spikes": spikes,
        "rate_hz": rates,
        "cv_isi": cvs,
        "cv_isi_rule": CV_RULE,
        "synaptic_events": synaptic_events(args.network, spikes, out),
        "poisson_events": poisson_events,
        "peak_rss_bytes": peak_rss,
        "baseline_rss_bytes": baseline_rss,
    }
    emit(result)


if __name__ == "__main__":
    os.environ.setdefault("PYNEST_QUIET", "1")
    with StdoutToStderr():
        import nest
    main()
