"""Golden traces of Loihi's compartment arithmetic from two reference models.

Runs every scenario below in

* lava-nc 0.10.0: a ``RingBuffer`` spike source into one ``Dense`` per
  group into one ``LIF`` per group, run with
  ``Loihi1SimCfg(select_tag="fixed_pt")``, which selects the bit-accurate
  models ``PyDenseModelBitAcc`` and ``PyLifModelBitAcc``;
* nengo-loihi 1.1.0: a ``SpikeInput`` with one ``Axon`` per group into one
  ``Synapse`` of one ``LoihiBlock`` per group, built by hand in integers
  (weights quantized by ``discretize_weights``, the builder's own routine)
  and stepped through its ``EmulatorInterface``;

and writes one JSON file per scenario and reference to ``lava/`` and
``nengo_loihi/`` beside this file. Each file holds the chip-unit parameters
of every group of compartments, the weights as given and as the reference
quantized them, the steps on which every input neuron spikes, and the u, v
and spike of every compartment after every step, exactly as the reference
computed them.

Time: the reference's timesteps are t = 1, 2, ...; entry k of a trace is
the state after step t = k + 1. An input neuron listed with step t emits its
spike on step t (lava's ``RingBuffer`` sends column t - 1 on step t;
nengo-loihi's ``SpikeInput.add_spikes(t, ...)``), and the spike reaches u on
step t + 1 in both references.

Requirements (the versions the committed traces were made with):
    python 3.10, lava-nc==0.10.0, nengo==3.2.0, nengo-loihi==1.1.0,
    numpy==1.26.4, scipy==1.15.3

Run from the repository root:
    python3.10 -m venv /tmp/lava-venv
    /tmp/lava-venv/bin/pip install lava-nc==0.10.0 nengo==3.2.0 \\
        nengo-loihi==1.1.0 numpy==1.26.4 scipy==1.15.3
    /tmp/lava-venv/bin/python emulator/tests/golden/generate.py
"""

import json
import platform
import warnings
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# Chip constants (CHIP.md §a3).
VTH_MAX_MANTISSA = 2**17 - 1
STATE_MAX = 2**23 - 1
WEIGHT_SHIFT = 6


@dataclass
class Group:
    """Compartments sharing one profile (du, dv, vth, refractory delay) and
    one synapse format (weight bits, sign mode, weight exponent): one lava
    ``LIF`` + ``Dense`` pair, one nengo-loihi ``LoihiBlock`` + ``Synapse``."""

    name: str
    du: int
    dv: int
    vth: int
    # weights[c][i]: from input neuron i to compartment c of the group.
    weights: list
    weight_exponent: int = 0
    weight_bits: int = 8
    sign_mode: str = "mixed"
    bias_mantissa: list = None
    bias_exponent: list = None
    refractory_delay: int = 1

    def __post_init__(self):
        n = len(self.weights)
        if self.bias_mantissa is None:
            self.bias_mantissa = [0] * n
        if self.bias_exponent is None:
            self.bias_exponent = [0] * n
        assert len(self.bias_mantissa) == n and len(self.bias_exponent) == n
        assert 0 <= self.du <= 4095 and 0 <= self.dv <= 4095
        assert 0 <= self.vth <= VTH_MAX_MANTISSA


@dataclass
class Scenario:
    name: str
    covers: str
    steps: int
    # spikes[i]: the reference steps (t >= 1) on which input neuron i spikes.
    spikes: list
    groups: list
    references: tuple = ("lava", "nengo_loihi")

    def __post_init__(self):
        for group in self.groups:
            for row in group.weights:
                assert len(row) == len(self.spikes), (self.name, group.name)
        for steps in self.spikes:
            assert all(1 <= t <= self.steps for t in steps)
            assert steps == sorted(set(steps))


def every(start, period, stop):
    """Steps start, start + period, ... up to stop."""
    return list(range(start, stop + 1, period))


def scenarios():
    """Every scenario, in the order of the README."""
    out = []

    out.append(
        Scenario(
            name="plain_integration",
            covers="Small weights from four input neurons into three groups "
            "with different decays and thresholds: integration, leak with "
            "truncation toward zero, threshold crossing and reset, no "
            "overflow anywhere.",
            steps=100,
            spikes=[
                every(1, 3, 90),
                every(2, 5, 90),
                [4, 5, 6, 20, 21, 40, 41, 42, 43],
                every(3, 7, 90),
            ],
            groups=[
                Group(
                    "lif_fast",
                    du=410,
                    dv=205,
                    vth=6,
                    weights=[[10, 20, 5, 8], [30, 2, 14, 40]],
                    sign_mode="excitatory",
                ),
                Group(
                    "lif_slow",
                    du=100,
                    dv=40,
                    vth=50,
                    weights=[[12, 16, 20, 24], [40, 0, 8, 60]],
                    weight_exponent=1,
                    sign_mode="excitatory",
                ),
                Group(
                    "mixed_small",
                    du=2048,
                    dv=1024,
                    vth=20,
                    weights=[[16, -8, 24, -4], [-20, 30, 6, 10]],
                ),
            ],
        )
    )

    sustained = every(1, 1, 30)
    together = [3, 10, 20]
    burst = [5, 25]
    out.append(
        Scenario(
            name="u_overflow",
            covers="u pushed past 24 bits: sustained +-255 << 13 inputs into a "
            "non-decaying u (du = 0) until it wraps; five synapses summing to "
            "exactly +2^23 and four to -2^23 in one step (lava keeps +2^23 and "
            "turns -2^23 into +2^23; the hardware accumulator wraps at 22 "
            "bits first); 32 synapses of 255 << 13 at once, far beyond one "
            "wrap (lava's single conditional wrap leaves u outside 24 bits).",
            steps=40,
            spikes=[sustained] + [together] * 5 + [burst] * 32,
            groups=[
                Group(
                    "accumulate_positive",
                    du=0,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[255] + [0] * 37],
                    weight_exponent=7,
                    sign_mode="excitatory",
                ),
                Group(
                    "accumulate_negative",
                    du=0,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[-255] + [0] * 37],
                    weight_exponent=7,
                    sign_mode="inhibitory",
                ),
                Group(
                    "sum_to_plus_2_23",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[0, 255, 255, 255, 255, 4] + [0] * 32],
                    weight_exponent=7,
                    sign_mode="excitatory",
                ),
                Group(
                    "sum_to_minus_2_23",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[0, -256, -256, -256, -256, 0] + [0] * 32],
                    weight_exponent=7,
                    sign_mode="mixed",
                ),
                Group(
                    "far_overflow",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[0] * 6 + [255] * 32],
                    weight_exponent=7,
                    sign_mode="excitatory",
                ),
            ],
        )
    )

    n_axons = 1000
    out.append(
        Scenario(
            name="accumulator_overflow",
            covers="nengo-loihi's test_uv_overflow, which the chip was checked "
            "against: 1000 (or 200) input neurons spike together on steps 1-15 "
            "into a ReLU-like compartment (du = 40, dv = 0, largest vth) "
            "through weights of 254; 1000 spikes overflow the 22-bit "
            "accumulator q, 200 overflow only u.",
            steps=30,
            spikes=[every(1, 1, 15)] * n_axons,
            groups=[
                Group(
                    "q_overflow_1000",
                    du=40,
                    dv=0,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[254] * n_axons],
                ),
                Group(
                    "u_overflow_200",
                    du=40,
                    dv=0,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[254] * 200 + [0] * (n_axons - 200)],
                ),
            ],
        )
    )

    out.append(
        Scenario(
            name="v_saturation",
            covers="v driven to both limits: -255 << 10 every step saturates v "
            "at -(2^23 - 1) and holds it there (dv = 0), a positive bias then "
            "climbs back; 255 << 13 every step saturates v at 2^23 - 1, which "
            "exceeds the largest threshold, so the compartment spikes.",
            steps=60,
            spikes=[every(1, 1, 40), every(1, 1, 40)],
            groups=[
                Group(
                    "negative_saturation",
                    du=4095,
                    dv=0,
                    vth=1000,
                    weights=[[-255, 0], [-255, 0]],
                    weight_exponent=4,
                    sign_mode="inhibitory",
                    bias_mantissa=[0, 100],
                    bias_exponent=[0, 3],
                ),
                Group(
                    "positive_saturation",
                    du=4095,
                    dv=0,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[0, 255]],
                    weight_exponent=7,
                    sign_mode="excitatory",
                ),
            ],
        )
    )

    decay_weights = [[10, -4], [200, -100]]
    out.append(
        Scenario(
            name="decay_extremes",
            covers="du and dv at 0 and 4095 in all four pairings: du = 0 still "
            "loses ceil(|u|/4096) per step (640 -> 639 -> ...), du = 4095 "
            "keeps only this step's input, dv = 0 integrates perfectly, "
            "dv = 4095 keeps 1/4096 of v.",
            steps=80,
            spikes=[[1, 2, 3, 30], [10, 50, 51]],
            groups=[
                Group(
                    "du0_dv0",
                    du=0,
                    dv=0,
                    vth=2000,
                    weights=decay_weights,
                    weight_exponent=0,
                ),
                Group(
                    "du0_dv4095",
                    du=0,
                    dv=4095,
                    vth=2000,
                    weights=decay_weights,
                ),
                Group(
                    "du4095_dv0",
                    du=4095,
                    dv=0,
                    vth=2000,
                    weights=decay_weights,
                ),
                Group(
                    "du4095_dv4095",
                    du=4095,
                    dv=4095,
                    vth=2000,
                    weights=decay_weights,
                ),
            ],
        )
    )

    alone = [[2 + 5 * k, 35] for k in range(6)]
    out.append(
        Scenario(
            name="weight_precision",
            covers="Precision loss of stored weights, one input neuron at a "
            "time (du = dv = 4095, so u shows each weight << 6): mixed 8 bits "
            "(3 -> 2, -3 -> -4, 1 -> 0, -1 -> -2, 255 -> 254 in lava), mixed 6 "
            "bits, excitatory 4 and 1 bits, inhibitory 2 bits; all six "
            "together on step 35.",
            steps=40,
            spikes=alone,
            groups=[
                Group(
                    "mixed_8_bits",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[3, -3, 1, -1, 255, -256]],
                ),
                Group(
                    "mixed_6_bits",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[5, -5, 12, -12, 100, -100]],
                    weight_bits=6,
                ),
                Group(
                    "excitatory_4_bits",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[15, 16, 17, 31, 200, 255]],
                    weight_bits=4,
                    sign_mode="excitatory",
                ),
                Group(
                    "inhibitory_2_bits",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[-63, -64, -65, -127, -128, -255]],
                    weight_bits=2,
                    sign_mode="inhibitory",
                ),
                Group(
                    "excitatory_1_bit",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[127, 128, 255, 0, 64, 200]],
                    weight_bits=1,
                    sign_mode="excitatory",
                ),
            ],
        )
    )

    out.append(
        Scenario(
            name="negative_weight_exponent",
            covers="Weight exponents -1, -3, -7 and -8, with several synapses "
            "landing on one compartment in one step: lava shifts the sum of "
            "the weights (flooring once), the chip shifts each synapse; at "
            "-7 and -8 the shift 6 + exponent is itself negative. nengo-loihi's "
            "builder pre-rounds each weight so that its per-synapse shift is "
            "exact.",
            steps=40,
            spikes=[
                [2, 6, 10, 20, 21, 22],
                [2, 6, 12, 20, 21, 22],
                [6, 14, 20, 21, 22],
                [6, 16, 20, 21, 22],
            ],
            groups=[
                Group(
                    "exp_minus_1",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[5, 7, -3, 9], [101, -77, 45, 33]],
                    weight_exponent=-1,
                ),
                Group(
                    "exp_minus_3",
                    du=4095,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[20, 13, 7, -9], [100, 90, -70, 60]],
                    weight_exponent=-3,
                ),
                Group(
                    "exp_minus_7",
                    du=4095,
                    dv=0,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[100, 60, -30, 130], [200, -200, 150, -150]],
                    weight_exponent=-7,
                ),
                Group(
                    "exp_minus_8",
                    du=1000,
                    dv=0,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[-255, 129, 3, -77], [200, -200, 200, -200]],
                    weight_exponent=-8,
                ),
            ],
        )
    )

    out.append(
        Scenario(
            name="bias_exponent",
            covers="Biases bias_mantissa << bias_exponent across the mantissa "
            "range (-4096..4095) and every exponent 0..7, on leaky and on "
            "integrating compartments, with one input spike on step 50.",
            steps=100,
            spikes=[[50]],
            groups=[
                Group(
                    "bias_lif",
                    du=1000,
                    dv=100,
                    vth=500,
                    weights=[[100], [100], [-100], [100], [0], [50], [20], [-40]],
                    weight_exponent=2,
                    bias_mantissa=[1, 100, 4095, -50, 37, -4096, 4095, 3],
                    bias_exponent=[7, 3, 0, 2, 5, 7, 7, 6],
                ),
                Group(
                    "bias_integrator",
                    du=0,
                    dv=0,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[0], [60], [-60]],
                    weight_exponent=3,
                    bias_mantissa=[3, -1, 511],
                    bias_exponent=[7, 0, 1],
                ),
            ],
        )
    )

    out.append(
        Scenario(
            name="zero_threshold",
            covers="vth = 0: a compartment spikes whenever v > 0 after its "
            "update; a bias of 1 spikes every step, negative v never spikes.",
            steps=60,
            spikes=[[3, 10, 11, 30], [5, 20, 21, 22]],
            groups=[
                Group(
                    "vth0_leaky",
                    du=2000,
                    dv=1000,
                    vth=0,
                    weights=[[4, -4], [0, 0], [10, 0], [0, -10]],
                    bias_mantissa=[0, 1, -1, 0],
                    bias_exponent=[0, 0, 0, 0],
                ),
                Group(
                    "vth0_integrator",
                    du=0,
                    dv=0,
                    vth=0,
                    weights=[[4, -4], [-2, 2]],
                ),
            ],
        )
    )

    out.append(
        Scenario(
            name="bias_overflow",
            covers="u + bias beyond 24 bits: u grows by about 2^21 per step "
            "(du = 0) under a bias of +-4095 << 7; the chip wraps u + bias "
            "(u2) at 24 bits before it reaches v, lava adds it unwrapped and "
            "v saturates.",
            steps=40,
            spikes=[every(1, 1, 8)],
            groups=[
                Group(
                    "u2_wrap",
                    du=0,
                    dv=4095,
                    vth=VTH_MAX_MANTISSA,
                    weights=[[255], [-255], [0]],
                    weight_exponent=7,
                    bias_mantissa=[4095, -4096, 4095],
                    bias_exponent=[7, 7, 7],
                ),
            ],
        )
    )

    refractory_weights = [[50], [100]]
    out.append(
        Scenario(
            name="refractory",
            covers="Refractory delays r = 1, 2, 3, 5 and 10: after a spike on "
            "step t0, v is held at 0 on t0+1 .. t0+r-1 and may spike again on "
            "t0+r, while u keeps integrating (input spikes on steps 20, 21 "
            "and 40). Lava's bit-accurate LIF has no refractory period.",
            steps=80,
            spikes=[[20, 21, 40]],
            references=("nengo_loihi",),
            groups=[
                Group(
                    f"refractory_{r}",
                    du=1000,
                    dv=0,
                    vth=10,
                    weights=refractory_weights,
                    refractory_delay=r,
                    bias_mantissa=[100, 0],
                    bias_exponent=[3, 0],
                )
                for r in (1, 2, 3, 5, 10)
            ],
        )
    )
    return out


def environment():
    return {
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
        "lava-nc": version("lava-nc"),
        "nengo": version("nengo"),
        "nengo-loihi": version("nengo-loihi"),
    }


def group_header(group, first):
    return {
        "name": group.name,
        "first_compartment": first,
        "compartments": len(group.weights),
        "du": group.du,
        "dv": group.dv,
        "vth": group.vth,
        "refractory_delay": group.refractory_delay,
        "bias_mantissa": list(group.bias_mantissa),
        "bias_exponent": list(group.bias_exponent),
        "weight_exponent": group.weight_exponent,
        "weight_bits": group.weight_bits,
        "sign_mode": group.sign_mode,
        "weights_given": [list(row) for row in group.weights],
    }


def as_ints(array):
    """Exact integers from a reference's array (lava's monitors return
    float64, which holds these values exactly)."""
    array = np.asarray(array)
    ints = np.rint(array).astype(np.int64)
    assert np.array_equal(ints, array), "non-integer value in a reference trace"
    return ints


# --- lava-nc -----------------------------------------------------------------


def run_lava(scenario):
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi1SimCfg
    from lava.proc.dense.process import Dense
    from lava.proc.io.source import RingBuffer
    from lava.proc.lif.process import LIF
    from lava.proc.monitor.process import Monitor
    from lava.utils.weightutils import SignMode

    sign_modes = {
        "mixed": SignMode.MIXED,
        "excitatory": SignMode.EXCITATORY,
        "inhibitory": SignMode.INHIBITORY,
    }
    steps = scenario.steps
    data = np.zeros((len(scenario.spikes), steps), dtype=np.int32)
    for i, times in enumerate(scenario.spikes):
        for t in times:
            data[i, t - 1] = 1  # RingBuffer sends column t - 1 on step t
    source = RingBuffer(data=data)
    parts = []
    for group in scenario.groups:
        n = len(group.weights)
        dense = Dense(
            weights=np.array(group.weights, dtype=np.int32),
            weight_exp=group.weight_exponent,
            num_weight_bits=group.weight_bits,
            sign_mode=sign_modes[group.sign_mode],
        )
        lif = LIF(
            shape=(n,),
            du=group.du,
            dv=group.dv,
            vth=group.vth,
            bias_mant=np.array(group.bias_mantissa),
            bias_exp=np.array(group.bias_exponent),
        )
        source.s_out.connect(dense.s_in)
        dense.a_out.connect(lif.a_in)
        monitors = []
        for var in (lif.u, lif.v, lif.s_out):
            monitor = Monitor()
            monitor.probe(var, steps)
            monitors.append(monitor)
        parts.append((group, dense, lif, monitors))

    source.run(
        condition=RunSteps(num_steps=steps),
        run_cfg=Loihi1SimCfg(select_tag="fixed_pt"),
    )
    groups, u, v, s = [], [], [], []
    first = 0
    for group, dense, lif, monitors in parts:
        header = group_header(group, first)
        header["weights_quantized"] = as_ints(dense.weights.get()).tolist()
        groups.append(header)
        first += len(group.weights)
        traces = []
        for monitor, var in zip(monitors, ("u", "v", "s_out")):
            data = monitor.get_data()[lif.name][var]
            traces.append(as_ints(data))
        u.append(traces[0])
        v.append(traces[1])
        s.append(traces[2])
    source.stop()
    return {
        "reference": "lava-nc",
        "reference_version": version("lava-nc"),
        "models": "PyLifModelBitAcc + PyDenseModelBitAcc "
        "(Loihi1SimCfg(select_tag='fixed_pt')), input from a RingBuffer",
        "groups": groups,
        "trace": trace(np.hstack(u), np.hstack(v), np.hstack(s)),
    }


# --- nengo-loihi ---------------------------------------------------------------

FANOUT_TYPE = {"mixed": 1, "excitatory": 2, "inhibitory": 3}


def run_nengo_loihi(scenario):
    from nengo_loihi.block import Axon, LoihiBlock, Synapse, SynapseConfig
    from nengo_loihi.builder import Model
    from nengo_loihi.builder.discretize import discretize_weights
    from nengo_loihi.emulator import EmulatorInterface
    from nengo_loihi.inputs import SpikeInput

    model = Model()
    spike_input = SpikeInput(len(scenario.spikes))
    by_step = {}
    for i, times in enumerate(scenario.spikes):
        for t in times:
            by_step.setdefault(t, []).append(i)
    for t, idxs in sorted(by_step.items()):
        spike_input.add_spikes(t, np.array(idxs, dtype=np.int32))
    model.add_input(spike_input)

    groups = []
    first = 0
    for group in scenario.groups:
        n = len(group.weights)
        block = LoihiBlock(n, label=group.name)
        comp = block.compartment
        comp.decay_u = np.full(n, group.du, dtype=np.int32)
        comp.decay_v = np.full(n, group.dv, dtype=np.int32)
        comp.scale_u = False
        comp.scale_v = False
        comp.vth = np.full(n, group.vth << 6, dtype=np.int32)
        comp.bias = np.array(
            [m << e for m, e in zip(group.bias_mantissa, group.bias_exponent)],
            dtype=np.int32,
        )
        comp.refract_delay = np.full(n, group.refractory_delay, dtype=np.int32)
        comp.vmin = -(2**23) + 1  # negVmLimit 23
        comp.vmax = 2 ** (9 + 2 * 7) - 1  # posVmLimit 7
        comp.enable_noise = np.zeros(n, dtype=bool)
        comp.noise_exp = 0
        comp.noise_offset = 0
        comp.noise_at_membrane = 0

        n_inputs = len(scenario.spikes)
        synapse = Synapse(n_inputs, label=group.name)
        # weights per axon: one row of the group's compartments per input.
        synapse.set_weights(np.array(group.weights, dtype=np.float32).T)
        synapse.format(
            weight_exp=group.weight_exponent,
            weight_bits=SynapseConfig.WEIGHT_BITS_MAP.index(group.weight_bits),
            fanout_type=FANOUT_TYPE[group.sign_mode],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Lost %d extra bits in weight rounding"
            synapse.weights = [
                discretize_weights(synapse.synapse_cfg, w) for w in synapse.weights
            ]
        block.add_synapse(synapse)
        axon = Axon(n_inputs)
        axon.target = synapse
        spike_input.add_axon(axon)
        model.add_block(block)

        # What each spike adds to q, per synapse: w << (6 + weight_exp) on the
        # chip. The chip weight is that value shifted back.
        accumulator = np.vstack([w[0] for w in synapse.weights]).T.astype(np.int64)
        real_exp = synapse.synapse_cfg.real_weight_exp
        if real_exp >= 0:
            quantized = accumulator >> real_exp
            assert np.array_equal(quantized << real_exp, accumulator)
        else:
            quantized = accumulator << -real_exp
        header = group_header(group, first)
        header["weights_quantized"] = quantized.tolist()
        header["weights_accumulator"] = accumulator.tolist()
        groups.append(header)
        first += n

    EmulatorInterface.strict = False  # overflow is what some scenarios test
    u, v, s, overflows = [], [], [], []
    with warnings.catch_warnings():
        # CompartmentState fills its int32 arrays with NaN before it sets them.
        warnings.filterwarnings("ignore", "invalid value encountered in cast")
        emu = EmulatorInterface(model, seed=0)
    with emu:
        for t in range(1, scenario.steps + 1):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                emu.step()
            assert emu.t == t
            for w in caught:
                overflows.append({"step": t, "warning": str(w.message)})
            u.append(emu.compartment.current.copy())
            v.append(emu.compartment.voltage.copy())
            s.append(emu.compartment.spiked.copy())
    return {
        "reference": "nengo-loihi",
        "reference_version": version("nengo-loihi"),
        "models": "nengo_loihi.emulator.EmulatorInterface on a hand-built "
        "LoihiBlock per group (integer parameters, weights from "
        "discretize_weights), input from a SpikeInput",
        "groups": groups,
        "overflow_warnings": overflows,
        "trace": trace(np.array(u), np.array(v), np.array(s)),
    }


# --- output --------------------------------------------------------------------


def trace(u, v, s):
    return {
        "u": as_ints(u).tolist(),
        "v": as_ints(v).tolist(),
        "spiked": as_ints(s.astype(np.int64)).tolist(),
    }


def dump(value, indent=0):
    """JSON with one line per list of scalars, so a trace is one line per
    step."""
    pad = " " * indent
    if isinstance(value, dict):
        items = [
            f'{pad}  {json.dumps(k)}: {dump(v, indent + 2).lstrip()}'
            for k, v in value.items()
        ]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(x, (list, dict)) for x in value):
        items = [dump(x, indent + 2) for x in value]
        return pad + "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return pad + json.dumps(value, separators=(",", ":"))


def main():
    env = environment()
    runners = {"lava": run_lava, "nengo_loihi": run_nengo_loihi}
    for scenario in scenarios():
        for reference in scenario.references:
            result = runners[reference](scenario)
            record = {
                "reference": result.pop("reference"),
                "reference_version": result.pop("reference_version"),
                "environment": env,
                "scenario": scenario.name,
                "covers": scenario.covers,
                "time": "trace entry k is the state after the reference's "
                "step t = k + 1; an input neuron spikes on each listed step t "
                "and its spike reaches u on step t + 1",
                "steps": scenario.steps,
                "inputs": {
                    "count": len(scenario.spikes),
                    "spike_steps": scenario.spikes,
                },
                **result,
            }
            path = HERE / reference / f"{scenario.name}.json"
            path.parent.mkdir(exist_ok=True)
            path.write_text(dump(record) + "\n")
            spikes = sum(map(sum, record["trace"]["spiked"]))
            print(f"{path.relative_to(HERE)}: {scenario.steps} steps, {spikes} spikes")


if __name__ == "__main__":
    main()
