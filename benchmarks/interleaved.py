"""chainrule against hand-written NumPy, with their steps interleaved in one process.

``mlp_training.py`` runs every peer in its own process, one after the other, which is
right for memory and for peers with their own thread pools, but on a shared machine
the load changes between two processes: on the MNIST-sized network the NumPy peer's
own rate moves by ±15% from run to run. chainrule and the NumPy peer call the same
BLAS, so they can share a process: this script alternates blocks of steps of each
(``numpy``, then each chainrule variant, then ``numpy`` again, ...), so that every
block of chainrule has a NumPy block next to it under the same load. It reports, per
variant, the median over rounds of the ratio NumPy's block time / the variant's block
time (above 1: chainrule is faster), and the median rates.

Usage::

    python benchmarks/interleaved.py [--nets small,mnist] [--rounds 25] [--steps N]
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
    Trainer,
    full_batches,
    import_chainrule,
    make_data,
)

VARIANTS = ("chainrule", "chainrule-compiled", "chainrule-step")
STEPS_PER_BLOCK = {"small": 500, "mnist": 20}


def run(net: str, rounds: int, steps: int) -> None:
    spec = SPECS[net]
    x, y = make_data(spec)
    batches = full_batches(len(x), spec.batch_size)
    trainers: dict[str, Trainer] = {
        name: TRAINER_FACTORIES[name](spec, x, y) for name in ("numpy", *VARIANTS)
    }
    position = dict.fromkeys(trainers, 0)

    def block(name: str) -> float:
        """Seconds for ``steps`` steps of one trainer, continuing its own batches."""
        trainer = trainers[name]
        start = time.perf_counter()
        for _ in range(steps):
            trainer.step(batches[position[name] % len(batches)])
            position[name] += 1
        return time.perf_counter() - start

    for name in trainers:  # warm-up: traces, first allocations, caches
        block(name)
    times: dict[str, list[float]] = {name: [] for name in trainers}
    ratios: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(rounds):
        for name in VARIANTS:
            reference = block("numpy")
            seconds = block(name)
            times["numpy"].append(reference)
            times[name].append(seconds)
            ratios[name].append(reference / seconds)

    per_step = spec.batch_size if spec.unit == "samples/s" else 1
    print(f"\n{spec.title}: {rounds} rounds of {steps}-step blocks, numpy before each\n")
    print(
        f"  {'peer':<20} {spec.unit + ' (median)':>22} {'vs numpy (median)':>18} {'min - max':>16}"
    )
    for name, block_times in times.items():
        rate = steps * per_step / statistics.median(block_times)
        if name == "numpy":
            print(f"  {name:<20} {rate:>22,.0f} {'1x':>18}")
            continue
        spread = f"{min(ratios[name]):.3f} - {max(ratios[name]):.3f}"
        print(f"  {name:<20} {rate:>22,.0f} {statistics.median(ratios[name]):>17.3f}x {spread:>16}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default=",".join(NETS), help="comma-separated networks")
    parser.add_argument("--rounds", type=int, default=25, help="blocks per variant")
    parser.add_argument("--steps", type=int, help="steps per block (default: 500 small, 20 mnist)")
    arguments = parser.parse_args(argv)
    nets = [net for net in arguments.nets.split(",") if net]
    unknown = [net for net in nets if net not in SPECS]
    if unknown or not nets:
        parser.error(f"--nets: unknown {unknown or 'empty list'}; choose from {list(NETS)}")
    if arguments.rounds < 1 or (arguments.steps is not None and arguments.steps < 1):
        parser.error("--rounds and --steps must be at least 1")
    import_chainrule()
    for net in nets:
        run(net, arguments.rounds, arguments.steps or STEPS_PER_BLOCK[net])
    return 0


if __name__ == "__main__":
    sys.exit(main())
