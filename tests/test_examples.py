"""Every script in examples/ runs with --quick and prints what the course claims.

The scripts are found by globbing, so a new example is run too; it then needs an entry
in EXPECTED (the lines that show its claim) and a line in examples/README.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
TIMEOUT = 120  # seconds per script; each takes about 1 s with --quick


def numbers(pattern: str, text: str) -> list[float]:
    """The group of every match of ``pattern`` (one per line at most), as floats."""
    return [float(match) for match in re.findall(pattern, text, flags=re.MULTILINE)]


def one_number(pattern: str, text: str) -> float:
    found = numbers(pattern, text)
    assert len(found) == 1, f"expected one match of {pattern!r}, got {found}"
    return found[0]


# Script name -> regular expressions that must each match a line of its output.
EXPECTED: dict[str, list[str]] = {
    "01_circuits": [
        r"f = -12   df/dx = -4   df/dy = -4   df/dz = 3",
        r"Gradients: df/dx = -4, df/dy = -4, df/dz = 3",
        r"f = 0\.73",
        r"df/dw = \(-0\.20, -0\.39, 0\.20\)",
        r"df/dx = \(0\.39, -0\.59\)",
        r"local gradient d f/d\(dot\) = 0\.1966 = \(1 - f\) f = 0\.1966",
    ],
    "02_sigmoid_derivative": [r"the identity holds: yes", r"sigma'\(0\) = 0\.2500"],
    "03_logic_gates": [
        r"AND with one neuron: accuracy 100%",
        r"OR with one neuron: accuracy 100%",
        r"XOR with one neuron: accuracy (0|25|50|75)%",
        r"XOR with the x1\*x2 feature: accuracy 100%",
        r"XOR with one hidden layer: accuracy 100%",
    ],
    "04_numpy_vs_chainrule": [
        r"dL/dW1: backward\(\) vs by hand, max relative difference \d\.\de-1[3-9]",
        r"dL/dW2: backward\(\) vs by hand, max relative difference \d\.\de-1[3-9]",
        r"same losses and gradients: yes",
    ],
    "05_softmax_cross_entropy": [r"gradient = f\(x\) - e\(y\): yes"],
    "06_gradient_checking": [
        r"gradcheck, two-layer network \(\d+ weights\): passed",
        r"gradcheck, Cube with backward 3x\^2: passed",
        r"gradcheck, BuggyCube with backward 3x: caught the bug",
    ],
    "07_activation_failures": [
        r"20 +2\.06e-09",  # sigmoid'(20)
        r"lr 0\.1 +for 3 epochs: 0% dead ReLUs",
        # most units die, and the same fraction is still dead after more training
        r"lr 1 +for 3 epochs: ([5-9]\d|100)% dead ReLUs; .*: \1% dead",
    ],
    "08_initialization": [
        r"all zeros init: max difference between rows 0\.00e\+00",
        r"Glorot-uniform init: max difference between rows \d\.\d\de\+0[01], accuracy (9\d|100)%",
    ],
    "09_l1_vs_l2": [r"L1: \d+ of 17 irrelevant weights are zero"],
    "10_momentum": [r"momentum 0\.9: \d+ steps", r"lr 0\.35 +momentum 0 +: never"],
    "11_lr_decay": [r"the decayed rate is \d+ times closer"],
    "12_vanishing_gradients": [r"norm of the first layer's weight gradient"],
    "13_universal_approximation": [r"hidden units +MSE"],
    "14_over_underfitting": [r": overfitting", r": underfitting"],
    "15_grid_vs_random_search": [
        r"grid: 9 trials, distinct values tried: \{'lr': 3, 'hidden': 3\}",
        r"random: 9 trials, distinct values tried: \{'lr': 9",
        r"random search found the lower validation loss",
    ],
    "16_perceptron": [
        r"AND: converged after \d+ epochs",
        r"OR: converged after \d+ epochs",
        r"XOR: still \d+ errors after \d+ epochs: not separable",
        r"two blobs: accuracy 100%",
    ],
    "seeing_backprop": [
        r"Gradients: df/dw = \[-0\.1966, -0\.3932, 0\.1966\], df/dx = \[0\.3932, -0\.5898\]"
    ],
}


def _l1_sparser(out: str) -> None:
    zeros = dict(re.findall(r"(none|L1|L2): (\d+) of 17 irrelevant weights are zero", out))
    assert int(zeros["L1"]) >= int(zeros["L2"]) + 5, zeros


def _momentum_faster(out: str) -> None:
    plain = one_number(r"lr 0\.035 momentum 0 +: (\d+) steps", out)
    heavy = one_number(r"lr 0\.035 momentum 0\.9: (\d+) steps", out)
    assert heavy < plain
    losses = numbers(r"momentum 0(?:\.9)? *: final loss (\d+\.\d+)", out)
    assert len(losses) == 2 and losses[1] < losses[0], losses


def _decay_closer(out: str) -> None:
    assert one_number(r"the decayed rate is (\d+) times closer", out) >= 2


def _gradient_vanishes(out: str) -> None:
    sigmoid = numbers(r"^ +\d+ +(\S+) +\S+ +\S+$", out)
    assert len(sigmoid) >= 3
    assert all(a > b for a, b in zip(sigmoid, sigmoid[1:])), sigmoid
    assert sigmoid[0] / sigmoid[-1] > 1e3, sigmoid


def _wider_fits_better(out: str) -> None:
    mse = numbers(r"^ +\d+ +(\d\.\d+e[-+]\d+)$", out)
    assert len(mse) >= 3
    assert all(a > b for a, b in zip(mse, mse[1:])), mse


def _validation_rises(out: str) -> None:
    match = re.search(
        r"fell from (\S+) to (\S+) while the validation loss rose from (\S+) to (\S+): overfitting",
        out,
    )
    assert match, out
    train_before, train_after, val_best, val_after = (float(v) for v in match.groups())
    assert train_after < train_before and val_after > val_best


# Script name -> a check of a relation between printed numbers.
CLAIMS: dict[str, Callable[[str], None]] = {
    "09_l1_vs_l2": _l1_sparser,
    "10_momentum": _momentum_faster,
    "11_lr_decay": _decay_closer,
    "12_vanishing_gradients": _gradient_vanishes,
    "13_universal_approximation": _wider_fits_better,
    "14_over_underfitting": _validation_rises,
}


def run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    # Small matrices: one BLAS thread is faster, and fair to a shared machine.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_examples_found() -> None:
    assert len(SCRIPTS) >= 17, [s.name for s in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_runs_and_shows_its_claim(script: Path) -> None:
    result = run(script, "--quick")
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    assert script.stem in EXPECTED, f"add the key lines of {script.name} to EXPECTED"
    for pattern in EXPECTED[script.stem]:
        assert re.search(pattern, result.stdout), (
            f"{script.name}: no line matches {pattern!r} in:\n{result.stdout}"
        )
    claim = CLAIMS.get(script.stem)
    if claim is not None:
        claim(result.stdout)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_is_listed_in_readme(script: Path) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert f"`{script.name}`" in readme, f"list {script.name} in examples/README.md"


def test_example_opens_with_its_claim() -> None:
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        assert text.startswith('"""'), f"{script.name} must open with a docstring"


@pytest.mark.parametrize(
    "name", ["02_sigmoid_derivative", "03_logic_gates", "14_over_underfitting"]
)
def test_example_draws_a_picture(name: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / f"{name}.png"
    result = run(EXAMPLES / f"{name}.py", "--quick", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
