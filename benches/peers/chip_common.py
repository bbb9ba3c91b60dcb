"""What the chip comparison scripts share: the dense-layer network of
benches/dense_layer.snn in numbers, its weights as the chip stores them, its
Poisson input, and how to read neurc's chip mapping.

Every script prints one JSON object on stdout (see README.md, "Chip
emulator beside lava-nc and SANA-FE", for its fields).
"""

import json
import math
import os

from common import StdoutToStderr, emit, peak_rss_self_bytes  # noqa: F401  (re-exported)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DENSE_SNN = os.path.join(REPO, "benches", "dense_layer.snn")

# benches/dense_layer.snn, written out. The registers are the chip's
# integers: u keeps (4095 - du) / 4096 of itself per step, v keeps
# (4096 - dv) / 4096, and a neuron spikes when v > vth * 64.
DENSE = {
    "n_in": 1000,
    "n_hidden": 1000,
    "n_out": 1000,
    "rate_hz": 20.0,
    "dt_ms": 1.0,
    "steps": 10000,
    "du": 1023,
    "dv": 256,
    "vth": 60000,
    "bias_mant": 0,
    "bias_exp": 0,
    # Weights drawn per synapse, uniform on [low, high), in chip units of u.
    "weights": {"input->hidden": (-8000.0, 16000.0), "hidden->out": (-10000.0, 14000.0)},
}

# The synapse format neurc's compiler chooses for these weights (checked in
# its quantization.json by chip_compare.py): 8 weight bits, mixed sign,
# exponent 0. A stored weight m adds m * 2^(6 + weight_exp) to u, and in the
# mixed sign mode it is even, from -256 to 254.
WEIGHT_BITS = 8
WEIGHT_EXP = 0
WEIGHT_SIGN = "mixed"
WEIGHT_SHIFT = 6  # the chip aligns weights, like the threshold, 6 bits up


def stored_weights(rng, low, high, shape):
    """Weights drawn uniformly on [low, high) in units of u, rounded to the
    nearest weight the chip can store (an even integer m in [-256, 254],
    adding m * 64 to u), as neurc's compiler rounds them."""
    import numpy as np

    unit = 2.0 ** (WEIGHT_SHIFT + WEIGHT_EXP)
    step = 2  # mixed sign mode with 8 bits: the lowest bit is lost
    m = np.round(rng.uniform(low, high, size=shape) / unit / step) * step
    return np.clip(m, -256, 254).astype(np.int32)


def poisson_spikes(rng, n, steps, rate_hz, dt_ms):
    """Binary spike trains, shape (n, steps): in each step a source spikes
    when its Poisson count of mean rate * dt is at least one (a chip's input
    axon carries one spike per step)."""
    p = 1.0 - math.exp(-rate_hz * dt_ms / 1000.0)
    return rng.random((n, steps)) < p


def uv_decay_factors(du, dv):
    """The fractions of u and v kept per step, as floating-point numbers."""
    return (4095 - du) / 4096.0, (4096 - dv) / 4096.0


def read_resources(path):
    """neurc compile's resources.json: the per-core layout of a mapping."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)
