"""`chainrule train` and `chainrule evaluate`, run in-process through chainrule.cli.main."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.serialization import load, load_metadata


def _run(argv: list[str]) -> int:
    """main()'s exit status, whether it returns it or argparse raises SystemExit."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def _main(command: str, *more: str) -> int:
    """main() on a command written as one line, plus arguments that may hold spaces."""
    return main([*command.split(), *more])


def _rows(output: str) -> dict[str, list[str]]:
    """The results table: split name -> its cells."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0] in ("train", "validation", "test", "all"):
            rows[cells[0]] = cells[1:]
    return rows


def _accuracy(cells: list[str]) -> float:
    return float(cells[-1].rstrip("%")) / 100


def test_train_spiral_then_evaluate_reports_the_same_numbers(tmp_path, capsys):
    path = str(tmp_path / "spiral.safetensors")
    status = _main(
        "train --dataset spiral --hidden 16,16 --activation tanh --optimizer adam --lr 0.02 "
        "--epochs 150 --batch-size 32 --l2 0.0001 --seed 0 --verbose 0",
        "--out",
        path,
    )
    assert status == 0
    trained = capsys.readouterr().out
    rows = _rows(trained)
    assert set(rows) == {"train", "validation", "test"}
    assert _accuracy(rows["test"]) >= 0.95

    arch = json.loads(load_metadata(path)["chainrule.mlp"])
    assert arch["input_size"] == 2 and arch["hidden_sizes"] == [16, 16]
    assert arch["activation"] == "tanh" and arch["output_size"] == 2
    assert arch["problem"] == "classification" and len(arch["feature_mean"]) == 2
    assert set(load(path)) == {f"{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")}

    assert main(["evaluate", path]) == 0
    evaluated = _rows(capsys.readouterr().out)
    assert evaluated == rows  # same splits, same loss and accuracy

    assert main(["evaluate", path, "--split", "test"]) == 0
    assert _rows(capsys.readouterr().out) == {"test": rows["test"]}

    # New data from the same generator: evaluated whole.
    assert main(["evaluate", path, "--seed", "5", "--n", "200"]) == 0
    other = _rows(capsys.readouterr().out)
    assert list(other) == ["all"] and other["all"][0] == "200"
    assert _accuracy(other["all"]) > 0.8


def test_regression_reports_r2_and_early_stopping(tmp_path, capsys):
    path = str(tmp_path / "plane.safetensors")
    status = _main(
        "train --dataset reg_plane --noise 0.05 --hidden 8 --optimizer sgd --lr 0.05 "
        "--momentum 0.9 --epochs 60 --patience 5 --seed 1 --verbose 0",
        "--out",
        path,
    )
    assert status == 0
    output = capsys.readouterr().out
    header = next(line for line in output.splitlines() if line.startswith("split"))
    assert header.split() == ["split", "samples", "loss", "r2"]
    rows = _rows(output)
    assert float(rows["test"][-1]) > 0.9  # R^2
    assert main(["evaluate", path]) == 0
    assert _rows(capsys.readouterr().out) == rows


def test_train_and_evaluate_a_csv_file_with_named_classes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    names = np.where(X[:, 0] + X[:, 1] > 0, "dog", "cat")
    csv = tmp_path / "pets.csv"
    lines = ["a,b,c,kind"] + [f"{a:.4f},{b:.4f},{c:.4f},{k}" for (a, b, c), k in zip(X, names)]
    csv.write_text("\n".join(lines) + "\n")
    path = str(tmp_path / "pets.safetensors")
    command = "train --label-column kind --hidden 8 --optimizer adam --lr 0.05 --epochs 40"
    assert _main(command, "--csv", str(csv), "--out", path, "--verbose", "0") == 0
    rows = _rows(capsys.readouterr().out)
    assert _accuracy(rows["test"]) > 0.9
    arch = json.loads(load_metadata(path)["chainrule.mlp"])
    assert arch["class_names"] == ["cat", "dog"] and arch["feature_names"] == ["a", "b", "c"]

    # Only dogs, in another file: class names map to the model's indices.
    dogs = tmp_path / "dogs.csv"
    dogs.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.endswith("dog")]))
    assert main(["evaluate", path, "--csv", str(dogs), "--label-column", "kind"]) == 0
    assert _accuracy(_rows(capsys.readouterr().out)["all"]) > 0.9


@pytest.mark.parametrize(
    "argv, words",
    [
        (["train", "--activation", "foo"], "choose from"),
        (["train", "--optimizer", "lbfgs"], "choose from"),
        (["train", "--dataset", "nope"], "choose from"),
        (["train", "--hidden", "8,x"], "comma-separated"),
        (["train", "--val-split", "1.5"], "fraction"),
        (["train", "--epochs", "0"], "integer >= 1"),
        (["train", "--lr", "-1"], "number >= 0"),
        (["train", "--optimizer", "adam", "--momentum", "0.9"], "sgd, rmsprop"),
        (["train", "--dataset", "reg_plane", "--loss", "cross_entropy"], "mse, l1, huber"),
        (["train", "--val-split", "0.5", "--test-split", "0.5"], "no training data"),
        (["train", "--val-split", "0", "--patience", "3"], "--val-split"),
        (["train", "--csv", "/no/such/file.csv"], "no such file"),
        (["train", "--dataset", "spiral", "--label-column", "y"], "--csv"),
        (["evaluate", "/no/such/model.safetensors"], "no such file"),
        (["train", "--compile", "--diagnose"], "drop --compile or --diagnose"),
    ],
)
def test_bad_options_exit_2_with_a_one_line_message(argv, words, capsys):
    assert _run(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"chainrule {argv[0]}: error: ")
    assert words in err[-1]
    assert len(err) <= 2  # argparse's errors come after its one-line usage
    assert all("Traceback" not in line for line in err)


def test_evaluate_rejects_foreign_and_weights_only_files(tmp_path, capsys):
    text = tmp_path / "notes.safetensors"
    text.write_text("these are not weights\n")
    assert _run(["evaluate", str(text)]) == 2
    assert "notes.safetensors" in capsys.readouterr().err

    from chainrule import nn
    from chainrule.serialization import save

    plain = tmp_path / "plain.safetensors"
    save(nn.Linear(2, 2).state_dict(), plain)
    assert _run(["evaluate", str(plain), "--dataset", "xor"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"no architecture", err) and len(err.strip().splitlines()) == 1


def test_diagnose_gives_the_courses_advice_for_dying_relus(capsys):
    command = (
        "train --dataset spiral --n 200 --hidden 16,16 --activation relu --optimizer sgd "
        "--lr 3 --epochs 8 --verbose 0 --diagnose"
    )
    assert _main(command) == 0
    output = capsys.readouterr().out
    assert "units are dead" in output and "LeakyReLU" in output
    assert "diagnostics of the last epoch:" in output


def test_diagnose_is_quiet_on_a_healthy_network(capsys):
    command = (
        "train --dataset circle --n 200 --hidden 8 --activation tanh --optimizer adam "
        "--lr 0.01 --epochs 5 --verbose 0 --diagnose"
    )
    assert _main(command) == 0
    assert "no layer crossed a threshold" in capsys.readouterr().out


def test_compile_trains_the_same_model(tmp_path, capsys):
    """--compile replays the traced step: the same numbers as the eager run."""
    common = "train --dataset xor --hidden 8 --epochs 30 --seed 3 --verbose 0"
    rows = []
    for extra in ([], ["--compile"]):
        assert _main(common, *extra, "--out", str(tmp_path / f"m{len(rows)}.safetensors")) == 0
        rows.append(_rows(capsys.readouterr().out))
    assert rows[0] == rows[1] and rows[0]
