"""The dense-layer network of benches/dense_layer.snn in lava-nc 0.10,
simulated on the CPU with Loihi1SimCfg(select_tag="fixed_pt"): Lava's
bit-accurate models of Loihi's dense synapses and CUBA LIF neurons.

    RingBuffer (Poisson spike trains, drawn here)
      -> Dense (input -> hidden) -> LIF hidden
      -> Dense (hidden -> out)   -> LIF out

Prints one JSON object (README.md, "Chip emulator beside lava-nc and
SANA-FE").
"""

import argparse
import time

import numpy as np

from chip_common import (
    DENSE,
    WEIGHT_BITS,
    WEIGHT_EXP,
    StdoutToStderr,
    emit,
    peak_rss_self_bytes,
    poisson_spikes,
    stored_weights,
)

# Lava prints to stdout while importing; stdout carries only the JSON.
with StdoutToStderr():
    from lava.magma.core.decorator import implements, requires, tag
    from lava.magma.core.model.py.type import LavaPyType
    from lava.magma.core.process.variable import Var
    from lava.magma.core.resources import CPU
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi1SimCfg
    from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
    from lava.proc.dense.process import Dense
    from lava.proc.io.source import RingBuffer
    from lava.proc.lif.models import PyLifModelBitAcc
    from lava.proc.lif.process import LIF
    from lava.utils.weightutils import SignMode


class CountingLIF(LIF):
    """Lava's LIF with a per-neuron spike count.

    Its model runs Lava's own bit-accurate LIF (PyLifModelBitAcc) and adds
    each step's spikes into a Var, so spikes are counted without a Monitor
    process, which would add a process and a channel to every step of the
    run being measured.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.spike_count = Var(shape=kwargs["shape"], init=0)


@implements(proc=CountingLIF, protocol=LoihiProtocol)
@requires(CPU)
@tag("bit_accurate_loihi", "fixed_pt")
class PyCountingLifModelBitAcc(PyLifModelBitAcc):
    """PyLifModelBitAcc, unchanged, plus the count."""

    # `implements` refuses to re-target a model that already names a
    # process; the parent names LIF, so this subclass starts unset.
    implements_process = None
    spike_count: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def run_spk(self):
        super().run_spk()
        self.spike_count += self.s_out_buff.astype(np.int64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=DENSE["steps"])
    parser.add_argument("--rate-hz", type=float, default=DENSE["rate_hz"], help="the sources' rate")
    args = parser.parse_args()

    import importlib.metadata as md

    net = DENSE
    steps = args.steps
    with StdoutToStderr():
        start = time.perf_counter()
        rng = np.random.default_rng(args.seed)
        n_in, n_hidden, n_out = net["n_in"], net["n_hidden"], net["n_out"]
        spikes_in = poisson_spikes(rng, n_in, steps, args.rate_hz, net["dt_ms"])
        # Dense takes (post, pre) matrices.
        w1 = stored_weights(rng, *net["weights"]["input->hidden"], (n_hidden, n_in))
        w2 = stored_weights(rng, *net["weights"]["hidden->out"], (n_out, n_hidden))
        draw_s = time.perf_counter() - start

        start = time.perf_counter()
        lif = {key: net[key] for key in ("du", "dv", "vth", "bias_mant", "bias_exp")}
        dense = {"weight_exp": WEIGHT_EXP, "num_weight_bits": WEIGHT_BITS, "sign_mode": SignMode.MIXED}
        source = RingBuffer(data=spikes_in.astype(np.int32))
        dense1 = Dense(weights=w1, **dense)
        hidden = CountingLIF(shape=(n_hidden,), **lif)
        dense2 = Dense(weights=w2, **dense)
        out = CountingLIF(shape=(n_out,), **lif)
        source.s_out.connect(dense1.s_in)
        dense1.a_out.connect(hidden.a_in)
        hidden.s_out.connect(dense2.s_in)
        dense2.a_out.connect(out.a_in)
        # The counting LIFs' model is named per process: Lava would otherwise
        # look for it by importing every module in this directory.
        counting = {hidden: PyCountingLifModelBitAcc, out: PyCountingLifModelBitAcc}
        run_cfg = Loihi1SimCfg(select_tag="fixed_pt", exception_proc_model_map=counting)
        out.create_runtime(run_cfg=run_cfg)
        build_s = time.perf_counter() - start

        start = time.perf_counter()
        out.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg)
        simulate_s = time.perf_counter() - start

        hidden_counts = hidden.spike_count.get()
        out_counts = out.spike_count.get()
        peak_rss = peak_rss_self_bytes()
        out.stop()

    input_spikes = int(spikes_in.sum())
    hidden_spikes = int(hidden_counts.sum())
    out_spikes = int(out_counts.sum())
    duration_s = steps * net["dt_ms"] / 1000.0
    emit(
        {
            "simulator": "lava-nc",
            "version": md.version("lava-nc"),
            "mode": 'Loihi1SimCfg(select_tag="fixed_pt"), bit-accurate models',
            "network": "dense",
            "seed": args.seed,
            "steps": steps,
            "dt_ms": net["dt_ms"],
            "draw_s": draw_s,
            "build_s": build_s,
            "simulate_s": simulate_s,
            "neurons": n_hidden + n_out,
            "sources": n_in,
            "synapses": n_in * n_hidden + n_hidden * n_out,
            "spikes": {"input": input_spikes, "hidden": hidden_spikes, "out": out_spikes},
            "rate_hz": {
                "input": input_spikes / n_in / duration_s,
                "hidden": hidden_spikes / n_hidden / duration_s,
                "out": out_spikes / n_out / duration_s,
            },
            "silent": {
                "hidden": int((hidden_counts == 0).sum()),
                "out": int((out_counts == 0).sum()),
            },
            # Every spike reaches every neuron of the next layer.
            "synaptic_events": hidden_spikes * n_out,
            "source_events": input_spikes * n_hidden,
            "peak_rss_bytes": peak_rss,
        }
    )


if __name__ == "__main__":
    main()
