"""How fast can the MNIST-sized training step be? Its unavoidable work, timed alone.

A step of ``mlp_training.py``'s MNIST-sized network (784-256-128-10, ReLU, batch 128,
SGD with momentum) does eight matrix products (three forward, three weight gradients,
two input gradients: the first layer's input is the data) and one momentum update of
its 235,146 parameters. Any library that trains this network does at least that work.
This script times, in one run:

* the eight products with NumPy's BLAS (what chainrule and the hand-written NumPy
  peer call), with PyTorch's (its own kernels: oneDNN and MKL on x86) and, when the
  ``mkl`` package from PyPI is installed, with MKL's ``cblas_sgemm`` called directly
  (would another BLAS under NumPy be enough?);
* the momentum update in NumPy (b = mu b + g; p -= lr b, in place);
* PyTorch's whole eager step (``mlp_training.py``'s PyTorch peer), and NumPy's.

and prints the lower bound that follows for a step at a given multiple of PyTorch's
speed: the products plus the update must fit in PyTorch's step time divided by it.
Each figure is the median of ``--repeats`` timings of 20 calls.

Usage::

    python benchmarks/mnist_floor.py [--repeats N] [--target 1.5]
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlp_training import (  # noqa: E402  (the same network, data and peers)
    SPECS,
    BatchCycle,
    full_batches,
    init_parameters,
    limit_threads,
    make_data,
    make_numpy_trainer,
    make_torch_trainer,
    per_call_us,
)

SPEC = SPECS["mnist"]
CALLS = 20  # calls per timing


def median_us(fn: Callable[[], Any], repeats: int) -> float:
    """After three untimed calls, the median over ``repeats`` timings of CALLS calls,
    in µs per call."""
    for _ in range(3):
        fn()
    return per_call_us(fn, CALLS, repeats)


def step_products(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The step's eight matrix products as (label, a, b), each computing a @ b on the
    layouts a training step has (weights (out, in), so the forward reads W^T)."""
    batch, sizes = SPEC.batch_size, SPEC.layer_sizes
    products = []
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        x = rng.standard_normal((batch, n_in), dtype=np.float32)
        w = rng.standard_normal((n_out, n_in), dtype=np.float32)
        g = rng.standard_normal((batch, n_out), dtype=np.float32)
        products.append((f"layer {layer + 1} forward x @ W^T", x, w.T))
        products.append((f"layer {layer + 1} weight gradient g^T @ x", g.T, x))
        if layer > 0:
            products.append((f"layer {layer + 1} input gradient g @ W", g, w))
    return products


def product_us(a: Any, b: Any, repeats: int) -> float:
    """``a @ b`` (NumPy arrays or PyTorch tensors), µs per call."""

    def product() -> Any:
        return a @ b

    return median_us(product, repeats)


def numpy_products_us(products: list[tuple[str, np.ndarray, np.ndarray]], repeats: int) -> float:
    return sum(product_us(a, b, repeats) for _, a, b in products)


def torch_products_us(products: list[tuple[str, np.ndarray, np.ndarray]], repeats: int) -> float:
    import torch

    # The same strides: a transposed view stays a transposed view.
    return sum(
        product_us(torch.from_numpy(a), torch.from_numpy(b), repeats) for _, a, b in products
    )


def mkl_products_us(
    products: list[tuple[str, np.ndarray, np.ndarray]], repeats: int
) -> float | None:
    """The products through MKL's cblas_sgemm (the ``mkl`` wheel's libmkl_rt), or None
    when it is not installed. Each operand is C-contiguous or a transposed view of a
    C-contiguous array, which cblas takes as it is."""
    candidates = sorted((Path(sys.prefix) / "lib").glob("libmkl_rt.so*"))
    if not candidates:
        return None
    sgemm = ctypes.CDLL(str(candidates[-1])).cblas_sgemm
    integer, pointer = ctypes.c_int, ctypes.c_void_p
    sgemm.argtypes = [integer] * 6 + [ctypes.c_float, pointer, integer, pointer, integer]
    sgemm.argtypes += [ctypes.c_float, pointer, integer]
    row_major, plain, transposed = 101, 111, 112

    def layout(a: np.ndarray) -> tuple[int, int]:
        return (plain, a.shape[1]) if a.flags.c_contiguous else (transposed, a.shape[0])

    def product_us(a: np.ndarray, b: np.ndarray) -> float:
        (m, k), n = a.shape, b.shape[1]
        (trans_a, lda), (trans_b, ldb) = layout(a), layout(b)
        out = np.empty((m, n), np.float32)
        args: tuple[Any, ...] = (row_major, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, lda)
        args += (b.ctypes.data, ldb, 0.0, out.ctypes.data, n)

        def product() -> None:
            sgemm(*args)

        product()
        np.testing.assert_allclose(out, a @ b, rtol=1e-3, atol=1e-3)
        return median_us(product, repeats)

    return sum(product_us(a, b) for _, a, b in products)


def momentum_update_us(repeats: int) -> float:
    """b = mu b + g; p -= lr b over every parameter, in place (as PyTorch's SGD does)."""
    rng = np.random.default_rng(0)
    params = [array for pair in init_parameters(SPEC.layer_sizes) for array in pair]
    grads = [rng.standard_normal(p.shape, dtype=np.float32) for p in params]
    buffers = [np.zeros_like(p) for p in params]
    mu, lr = np.float32(SPEC.momentum), np.float32(SPEC.lr)

    def update() -> None:
        for p, g, b in zip(params, grads, buffers):
            b *= mu
            b += g
            p -= lr * b

    return median_us(update, repeats)


def step_us(make_trainer: Callable[..., Any], repeats: int) -> float:
    """A peer's whole training step, cycling through the batches."""
    x, y = make_data(SPEC)
    cycle = BatchCycle(make_trainer(SPEC, x, y), full_batches(len(x), SPEC.batch_size))
    return median_us(lambda: cycle.run(1), repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timings per figure (median)")
    parser.add_argument("--target", type=float, default=1.5, help="speed-up over PyTorch")
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1 or not arguments.target > 0:
        parser.error("--repeats must be at least 1 and --target positive")
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: this floor compares against its step and its sgemm")
        return 1
    torch.set_num_threads(2)
    limit_threads(2)  # the BLAS as the benchmark runs it (2 cores)
    repeats = arguments.repeats

    products = step_products(np.random.default_rng(0))
    numpy_mm = numpy_products_us(products, repeats)
    update = momentum_update_us(repeats)
    numpy_step = step_us(make_numpy_trainer, repeats)
    time.sleep(1.0)  # let OpenBLAS's threads stop spinning before PyTorch's start
    torch_mm = torch_products_us(products, repeats)
    torch_step = step_us(make_torch_trainer, repeats)
    time.sleep(1.0)
    mkl_mm = mkl_products_us(products, repeats)  # last: its threads spin after each call
    budget = torch_step / arguments.target

    kernels = [("NumPy's BLAS", numpy_mm), ("PyTorch's kernels", torch_mm)]
    if mkl_mm is not None:
        kernels.append(("MKL's cblas_sgemm", mkl_mm))
    rows = [(f"the 8 matrix products, {name}", value) for name, value in kernels]
    rows += [
        ("the momentum update, NumPy", update),
        ("hand-written NumPy step", numpy_step),
        ("  of which neither products nor update", numpy_step - numpy_mm - update),
        ("PyTorch eager step", torch_step),
        (f"a step at {arguments.target:g}x PyTorch's speed", budget),
    ]
    print(f"{SPEC.title}: µs per step, median of {repeats} x {CALLS} calls\n")
    for label, value in rows:
        print(f"  {label:<42} {value:8.0f}")
    print()
    if mkl_mm is None:
        print("  (MKL's cblas_sgemm not measured: pip install mkl to add it)")
    for blas, products_us in kernels:
        floor = products_us + update
        verdict = "fits" if floor <= budget else "does not fit"
        print(
            f"  With {blas}: products + update = {floor:.0f} µs, which {verdict} in "
            f"{budget:.0f} µs ({floor / budget:.2f}x of it)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
