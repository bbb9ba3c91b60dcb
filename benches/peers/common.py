"""What the peer scripts share: the command line, the network sizes, and the
spike statistics, computed the same way for every simulator.

Every script prints one JSON object on stdout (see README.md for its fields).
"""

import argparse
import json
import os
import resource
import sys

# Population sizes, as in examples/cuba.snn and examples/brunel.snn.
SIZES = {
    "cuba": {"exc": 3200, "inh": 800},
    "brunel": {"exc": 10000, "inh": 2500},
}

# A neuron contributes to the mean CV of its population's inter-spike
# intervals only if it has at least this many spikes (two intervals): with one
# interval the CV is 0 by definition and would pull the mean down.
CV_MIN_SPIKES = 3
CV_RULE = (
    "mean over neurons with >= 3 spikes of std(ISI)/mean(ISI), "
    "population std (ddof 0), ISIs of one neuron over the whole run"
)


def parse_args(simulator):
    parser = argparse.ArgumentParser(
        description=f"Run the CUBA or Brunel network in {simulator} and print one JSON object."
    )
    parser.add_argument("--network", choices=sorted(SIZES), required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    return parser


def peak_rss_self_bytes():
    """Peak resident set size of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def spike_statistics(network, indices, times_ms, duration_ms):
    """Per-population spike counts, mean rates and mean CVs of ISIs.

    `indices` are neuron indices over the whole network, excitatory neurons
    first, then inhibitory (as in the .snn files); `times_ms` the matching
    spike times. Rates are over all neurons of a population, silent ones
    included.
    """
    trains = {}
    for index, time in zip(indices, times_ms):
        trains.setdefault(int(index), []).append(float(time))

    spikes, rates, cvs = {}, {}, {}
    first = 0
    for name, size in SIZES[network].items():
        members = range(first, first + size)
        first += size
        count = sum(len(trains.get(i, ())) for i in members)
        spikes[name] = count
        rates[name] = count / size / (duration_ms / 1000.0)
        neuron_cvs = [
            coefficient_of_variation(sorted(trains[i]))
            for i in members
            if len(trains.get(i, ())) >= CV_MIN_SPIKES
        ]
        cvs[name] = sum(neuron_cvs) / len(neuron_cvs) if neuron_cvs else None
    return spikes, rates, cvs


def coefficient_of_variation(sorted_times):
    intervals = [b - a for a, b in zip(sorted_times, sorted_times[1:])]
    mean = sum(intervals) / len(intervals)
    variance = sum((x - mean) ** 2 for x in intervals) / len(intervals)
    return variance**0.5 / mean


def synaptic_events(network, spikes, synapses_out):
    """Spikes times the realised mean fan-out of each source population.

    `synapses_out` maps a population to the number of recurrent synapses
    leaving it, so its mean fan-out is that number over its size.
    """
    return sum(
        spikes[pop] * synapses_out[pop] / size for pop, size in SIZES[network].items()
    )


def emit(result):
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


class StdoutToStderr:
    """Sends everything written to file descriptor 1 (Python's prints, and
    the simulators' C++ logging and banners) to stderr, so that stdout carries
    only the JSON result."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)
        return False
