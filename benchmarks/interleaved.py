"""chainrule against a reference peer, with their steps interleaved in one process.

``mlp_training.py`` runs every peer in its own process, one after the other, which is
right for memory, but on a shared machine the load changes between two processes: on
the MNIST-sized network the NumPy peer's own rate moves by ±15% from run to run, and
PyTorch's small-network rate by as much. Here the peers share one process and take
turns: a block of steps of the reference (the first of ``--peers``, hand-written NumPy
by default), then a block of the next peer, then the reference again, ..., so that
every block has a reference block next to it under the same load. It reports, per
peer, the median over rounds of the ratio reference block time / peer block time
(above 1: the peer is faster than the reference), and the median rates.

Peers are ``mlp_training.py``'s (the same networks, data, initial weights and
training loops). PyTorch runs with 2 threads, as there.

Usage::

    python benchmarks/interleaved.py [--nets small,mnist] [--rounds 25] [--steps N]
        [--peers numpy,chainrule,chainrule-compiled,chainrule-step]
    python benchmarks/interleaved.py --nets small --peers torch,chainrule
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlp_training import (  # noqa: E402  (the same networks, data and trainers)
    NETS,
    SPECS,
    TRAINER_FACTORIES,
    BatchCycle,
    PeerNotReady,
    full_batches,
    import_peer,
    make_data,
)

PEERS = ("numpy", "chainrule", "chainrule-compiled", "chainrule-step")
STEPS_PER_BLOCK = {"small": 500, "mnist": 20}


def run(net: str, peers: list[str], rounds: int, steps: int) -> None:
    spec = SPECS[net]
    x, y = make_data(spec)
    batches = full_batches(len(x), spec.batch_size)
    cycles = {name: BatchCycle(TRAINER_FACTORIES[name](spec, x, y), batches) for name in peers}
    reference, others = peers[0], peers[1:]

    def block(name: str) -> float:
        """Seconds for ``steps`` steps of one trainer, continuing its own batches."""
        start = time.perf_counter()
        cycles[name].run(steps)
        return time.perf_counter() - start

    for name in cycles:  # warm-up: traces, first allocations, caches
        block(name)
    times: dict[str, list[float]] = {name: [] for name in cycles}
    ratios: dict[str, list[float]] = {name: [] for name in others}
    for _ in range(rounds):
        for name in others:
            reference_seconds = block(reference)
            seconds = block(name)
            times[reference].append(reference_seconds)
            times[name].append(seconds)
            ratios[name].append(reference_seconds / seconds)

    per_step = spec.batch_size if spec.unit == "samples/s" else 1
    print(f"\n{spec.title}: {rounds} rounds of {steps}-step blocks, {reference} before each\n")
    header, versus = f"{spec.unit} (median)", f"vs {reference} (median)"
    print(f"  {'peer':<20} {header:>22} {versus:>18} {'min - max':>16}")
    for name, block_times in times.items():
        rate = steps * per_step / statistics.median(block_times)
        if name == reference:
            print(f"  {name:<20} {rate:>22,.0f} {'1x':>18}")
            continue
        spread = f"{min(ratios[name]):.3f} - {max(ratios[name]):.3f}"
        print(f"  {name:<20} {rate:>22,.0f} {statistics.median(ratios[name]):>17.3f}x {spread:>16}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default=",".join(NETS), help="comma-separated networks")
    parser.add_argument("--rounds", type=int, default=25, help="blocks per variant")
    parser.add_argument("--steps", type=int, help="steps per block (default: 500 small, 20 mnist)")
    parser.add_argument(
        "--peers", default=",".join(PEERS), help="comma-separated; the first is the reference"
    )
    arguments = parser.parse_args(argv)
    peers = [peer for peer in arguments.peers.split(",") if peer]
    unknown_peers = [peer for peer in peers if peer not in TRAINER_FACTORIES]
    if unknown_peers or len(peers) < 2 or len(set(peers)) < len(peers):
        parser.error(
            f"--peers: give at least two different peers of {', '.join(TRAINER_FACTORIES)}"
            + (f" (unknown: {', '.join(unknown_peers)})" if unknown_peers else "")
        )
    nets = [net for net in arguments.nets.split(",") if net]
    unknown = [net for net in nets if net not in SPECS]
    if unknown or not nets:
        parser.error(f"--nets: unknown {unknown or 'empty list'}; choose from {list(NETS)}")
    if arguments.rounds < 1 or (arguments.steps is not None and arguments.steps < 1):
        parser.error("--rounds and --steps must be at least 1")
    for peer in peers:
        try:
            import_peer(peer)
        except PeerNotReady as reason:
            parser.exit(1, f"{peer} cannot run: {reason}\n")
    for net in nets:
        run(net, peers, arguments.rounds, arguments.steps or STEPS_PER_BLOCK[net])
    return 0


if __name__ == "__main__":
    sys.exit(main())
