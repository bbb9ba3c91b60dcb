"""The dense-layer network of benches/dense_layer.snn in SANA-FE, on its
bundled Loihi architecture (sanafe.load_loihi(): 8 x 4 tiles of 4 cores),
with its neurons placed on the cores where neurc's compiler puts them.

SANA-FE simulates the chip's work per step (synapse, dendrite, soma and
network-on-chip units) and reports the energy and latency of every step
from its per-operation costs. Its Loihi LIF soma is the chip's CUBA
neuron in floating point (u and v decay by factors, v kept to 1/64).

Prints one JSON object (README.md, "Chip emulator beside lava-nc and
SANA-FE").
"""

import argparse
import importlib.metadata as md
import time

import numpy as np

from chip_common import (
    DENSE,
    WEIGHT_EXP,
    WEIGHT_SHIFT,
    StdoutToStderr,
    emit,
    peak_rss_self_bytes,
    poisson_spikes,
    read_resources,
    stored_weights,
    uv_decay_factors,
)

# Input spike sources: SANA-FE's Loihi cores have 1,024 "input" soma
# units each, one per source neuron.
INPUT_SOMA = "loihi_inputs"
LIF_SOMA = "loihi_lif"
INPUTS_PER_CORE = 1024


def sanafe_core_index(tile_xy, index, mesh_height, cores_per_tile):
    """The position in sanafe's arch.cores() of the core that neurc names
    by its tile (x, y) and its index in the tile. SANA-FE numbers tiles
    column by column (x = id / height, y = id % height, as its
    dimension-order routing decodes them) and cores within a tile."""
    x, y = tile_xy
    return (x * mesh_height + y) * cores_per_tile + index


def neurc_core_number(tile_xy, index, mesh_width, cores_per_tile):
    """neurc's core number (`c<number>` in resources.json): tiles row by
    row, then the index in the tile."""
    x, y = tile_xy
    return (y * mesh_width + x) * cores_per_tile + index


def placement_from_resources(resources, width, height, cores_per_tile):
    """{population: [(first neuron, end, sanafe core index)]} from neurc
    compile's resources.json, and the sanafe core indices in use."""
    placement = {}
    used = set()
    for core in resources["cores"]:
        if list(core["chip"]) != [0, 0, 0]:
            raise SystemExit(
                f"core {core['core']} is on chip {core['chip']}: SANA-FE's Loihi "
                "architecture is one chip"
            )
        at = sanafe_core_index(core["tile"], core["index"], height, cores_per_tile)
        start, end = core["neurons"]
        placement.setdefault(core["population"], []).append((start, end, at))
        used.add(at)
    return placement, used


def free_core(used, width, height, cores_per_tile):
    """The free core with the lowest neurc number: where the host's input
    sources are placed (neurc's host drives them into the mesh and has no
    core; SANA-FE needs one)."""
    candidates = []
    for x in range(width):
        for y in range(height):
            for index in range(cores_per_tile):
                at = sanafe_core_index((x, y), index, height, cores_per_tile)
                if at not in used:
                    number = neurc_core_number((x, y), index, width, cores_per_tile)
                    candidates.append((number, at))
    if not candidates:
        raise SystemExit("no free core for the input sources")
    return min(candidates)[1]


def greedy_placement(sizes, cores_per_population):
    """Each population cut into equal slices over its own cores, the cores
    taken in SANA-FE's order: the mapping used when no resources.json is
    given."""
    placement, next_core = {}, 0
    for name, size in sizes.items():
        n = cores_per_population[name]
        per_core = -(-size // n)
        placement[name] = [
            (s, min(s + per_core, size), next_core + k) for k, s in enumerate(range(0, size, per_core))
        ]
        next_core += n
    return placement, set(range(next_core))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=DENSE["steps"])
    parser.add_argument("--rate-hz", type=float, default=DENSE["rate_hz"], help="the sources' rate")
    parser.add_argument(
        "--resources",
        help="resources.json of `neurc compile benches/dense_layer.snn --target loihi`: "
        "place the neurons as neurc does (default: 18 cores per layer, in SANA-FE's order)",
    )
    parser.add_argument("--threads", type=int, default=1, help="SANA-FE processing threads")
    parser.add_argument(
        "--timing-model", default="detailed", choices=["simple", "detailed", "cycle"]
    )
    args = parser.parse_args()

    net = DENSE
    steps = args.steps
    n_in, n_hidden, n_out = net["n_in"], net["n_hidden"], net["n_out"]
    with StdoutToStderr():
        import sanafe

        start = time.perf_counter()
        rng = np.random.default_rng(args.seed)
        # The same draws, in the same order and shapes, as chip_lava.py:
        # the same seed gives both peers the same input and weights.
        spikes_in = poisson_spikes(rng, n_in, steps, args.rate_hz, net["dt_ms"])
        w1 = stored_weights(rng, *net["weights"]["input->hidden"], (n_hidden, n_in))
        w2 = stored_weights(rng, *net["weights"]["hidden->out"], (n_out, n_hidden))
        unit = float(2 ** (WEIGHT_SHIFT + WEIGHT_EXP))
        # SANA-FE takes dense weights pre-major: entry pre * n_post + post.
        w1_u = (w1.T.astype(np.float64) * unit).ravel().tolist()
        w2_u = (w2.T.astype(np.float64) * unit).ravel().tolist()
        spike_lists = [row.tolist() for row in spikes_in]
        draw_s = time.perf_counter() - start

        start = time.perf_counter()
        arch = sanafe.load_loihi()
        chip = sanafe.SpikingChip(arch)
        layout = chip.describe()
        width, height = layout["noc_width_in_tiles"], layout["noc_height_in_tiles"]
        cores = arch.cores()
        cores_per_tile = len(arch.tiles[0].cores)

        if args.resources:
            placement, used = placement_from_resources(
                read_resources(args.resources), width, height, cores_per_tile
            )
            mapping = "neurc compile's resources.json"
        else:
            placement, used = greedy_placement(
                {"hidden": n_hidden, "out": n_out}, {"hidden": 18, "out": 18}
            )
            mapping = "18 cores per layer in SANA-FE's order"
        input_core = free_core(used, width, height, cores_per_tile)

        keep_u, keep_v = uv_decay_factors(net["du"], net["dv"])
        lif = {
            "threshold": float(net["vth"] * 64),
            "reset": 0.0,
            "reset_mode": "hard",
            "input_decay": keep_u,
            "leak_decay": keep_v,
            "bias": float(net["bias_mant"] * 2 ** net["bias_exp"]),
        }
        network = sanafe.Network()
        source = network.create_neuron_group("input", n_in)
        hidden = network.create_neuron_group(
            "hidden", n_hidden, model_attributes=lif, soma_hw_name=LIF_SOMA
        )
        out = network.create_neuron_group(
            "out", n_out, model_attributes=lif, soma_hw_name=LIF_SOMA
        )
        if n_in > INPUTS_PER_CORE:
            raise SystemExit(f"{n_in} sources do not fit one core's {INPUTS_PER_CORE} inputs")
        for i, neuron in enumerate(source):
            neuron.set_attributes(
                soma_hw_name=f"{INPUT_SOMA}[{i}]",
                model_attributes={"spikes": spike_lists[i]},
            )
            neuron.map_to_core(cores[input_core])
        for name, group in (("hidden", hidden), ("out", out)):
            for first, end, at in placement[name]:
                for i in range(first, end):
                    group[i].map_to_core(cores[at])
        source.connect_neurons_dense(hidden, {"weight": w1_u})
        hidden.connect_neurons_dense(out, {"weight": w2_u})
        chip.load(network)
        build_s = time.perf_counter() - start

        start = time.perf_counter()
        result = chip.sim(
            steps,
            timing_model=args.timing_model,
            processing_threads=args.threads,
            scheduler_threads=0,
        )
        simulate_s = time.perf_counter() - start
        peak_rss = peak_rss_self_bytes()

    # SANA-FE counts spikes delivered to synapses ("spikes") and neurons
    # that fired, sources included. Every layer has a fan-out of 1000, so
    # the sources' spikes (known: they are the given trains) split them.
    input_spikes = int(spikes_in.sum())
    delivered = int(result["spikes"])
    hidden_spikes = delivered // n_hidden - input_spikes
    out_spikes = int(result["neurons_fired"]) - input_spikes - hidden_spikes
    duration_s = steps * net["dt_ms"] / 1000.0
    executed = int(result["timesteps_executed"])
    energy = result["energy"]
    emit(
        {
            "simulator": "sanafe",
            "version": md.version("sanafe"),
            "mode": f"Loihi architecture (bundled loihi.yaml), {args.timing_model} timing model, "
            f"{args.threads} processing thread(s)",
            "network": "dense",
            "seed": args.seed,
            "steps": executed,
            "dt_ms": net["dt_ms"],
            "mapping": mapping,
            "cores_used": len(used) + 1,
            "input_core": input_core,
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
            "synaptic_events": hidden_spikes * n_out,
            "source_events": input_spikes * n_hidden,
            "sanafe_energy_j": energy,
            "sanafe_sim_time_s": result["sim_time"],
            "energy_per_step_j": energy["total"] / executed,
            "latency_per_step_s": result["sim_time"] / executed,
            "packets_sent": result["packets_sent"],
            "neurons_updated": result["neurons_updated"],
            "peak_rss_bytes": peak_rss,
        }
    )


if __name__ == "__main__":
    main()
