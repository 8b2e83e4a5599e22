"""``chainrule explain`` and ``chainrule plot``, run in-process through ``cli.main``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.viz.cli_explain import UsageError, parse_values


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_prints_the_circuit_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", "(x+y)*z", "--x", "-2", "--y", "5", "--z", "-4"], capsys)
    assert code == 0
    assert "f = (x+y)*z  at x = -2, y = 5, z = -4" in out
    assert "Backward pass" in out and "mul swaps" in out and "add distributes" in out
    assert "Gradients: df/dx = -4, df/dy = -4, df/dz = 3" in out


def test_explain_sigmoid_neuron_with_two_digits(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "explain",
        "--digits",
        "2",
        "1/(1+exp(-(w0*x0+w1*x1+w2)))",
        "--w0",
        "2",
        "--x0",
        "-1",
        "--w1",
        "-3",
        "--x1",
        "-2",
        "--w2",
        "-3",
    ]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "f = 1 / t7 = 0.73" in out
    assert "df/dw0 = -0.2, df/dx0 = 0.39, df/dw1 = -0.39, df/dx1 = -0.59, df/dw2 = 0.2" in out


def test_explain_accepts_three_spellings_and_late_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["explain", "--var", "x=-2", "(x+y)*z", "y=5", "--z=-4", "--markdown"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "| 1 | f | Mul | -12 | 1 | t1 | -4 | -4 |" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "__import__('os')"], "calling '__import__' is not allowed"),
        (["explain", "x.y", "--x", "1"], "attribute access is not allowed"),
        (["explain", "x*y", "--x", "1"], "no value for 'y'"),
        (["explain", "x*2", "--x", "one"], "must be a number"),
        (["explain", "x*2", "--x"], "--x needs a value"),
        (["explain", "x*2", "--x", "1", "stray"], "unexpected argument 'stray'"),
    ],
)
def test_explain_errors_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert message in err


def test_parse_values() -> None:
    assert parse_values(["--x", "-2", "--d=3", "w=1e-3"]) == {"x": -2.0, "d": 3.0, "w": 0.001}
    with pytest.raises(UsageError, match="twice"):
        parse_values(["--x", "1", "x=2"])
    with pytest.raises(UsageError, match="not a variable name"):
        parse_values(["--1x", "2"])


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")
def test_explain_draws_the_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "circuit.svg"
    code, out, _ = run(["explain", "x*x + x", "--x", "3", "--graph", str(target)], capsys)
    assert code == 0 and "copy adds: x is used 3 times" in out
    assert target.read_text().lstrip().startswith("<?xml")


def test_plot_activations_writes_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "act.png"
    code, out, _ = run(
        ["plot", "activations", "--names", "tanh", "relu", "--out", str(target)], capsys
    )
    assert code == 0 and target.read_bytes().startswith(b"\x89PNG")
    code, _, err = run(["plot", "activations", "--names", "nope", "--out", str(target)], capsys)
    assert code == 2 and "unknown activation" in err


def test_plot_history_from_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    source = tmp_path / "history.json"
    source.write_text(json.dumps({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.7]}))
    target = tmp_path / "curves.svg"
    code, _, _ = run(["plot", "history", str(source), "--out", str(target)], capsys)
    assert code == 0 and "<svg" in target.read_text()


def test_plot_boundary_trains_and_draws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("chainrule.train")
    target = tmp_path / "xor.png"
    argv = [
        "plot",
        "boundary",
        "--data",
        "xor",
        "--hidden",
        "4",
        "--epochs",
        "3",
        "--out",
        str(target),
    ]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert target.stat().st_size > 1000
    code, _, err = run(["plot", "boundary", "--data", "reg_plane", "--out", str(target)], capsys)
    assert code == 2 and "regression" in err
