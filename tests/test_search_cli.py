"""`chainrule search`: the space parser and the command, end to end."""

from __future__ import annotations

import csv

import pytest

from chainrule.cli import main
from chainrule.search import choice, integer, log_uniform, uniform
from chainrule.search.spec import SpecError, parse_space


def test_parse_grid_values():
    assert parse_space("hidden=[32,64,128];lr=[0.01,0.1]") == {
        "hidden": [32, 64, 128],
        "lr": [0.01, 0.1],
    }
    space = parse_space(" hidden = [ (64,32), 16 ] ; act=relu; name='a b'; x=-1e-3; on=true; ")
    assert space == {
        "hidden": [(64, 32), 16],
        "act": "relu",
        "name": "a b",
        "x": -0.001,
        "on": True,
    }
    assert isinstance(parse_space("n=[1]")["n"][0], int)


def test_parse_random_distributions():
    space = parse_space(
        "lr=loguniform(1e-4,1e-1);hidden=choice(32,64);p=uniform(0,0.5);k=integer(1,3);"
        "act=[relu,tanh];opt=choice([adam,sgd])",
        "random",
    )
    assert space == {
        "lr": log_uniform(1e-4, 1e-1),
        "hidden": choice([32, 64]),
        "p": uniform(0, 0.5),
        "k": integer(1, 3),
        "act": ["relu", "tanh"],
        "opt": choice(["adam", "sgd"]),
    }


@pytest.mark.parametrize(
    "text, kind, words",
    [
        ("lr=loguniform(1e-4,1e-1)", "grid", "in 'lr': loguniform(...) is a distribution"),
        ("lr=loguniform(1e-4)", "random", "in 'lr': loguniform(low, high) takes 2 numbers, got 1"),
        ("lr=loguniform(1,0.1)", "random", "needs 0 < low < high"),
        ("lr=[0.1", "grid", "in 'lr': expected ',' or ']', found the end"),
        ("lr=[0.1 0.2]", "grid", "expected ',' or ']', found '0.2'"),
        ("lr", "grid", "expected '=', found the end"),
        ("lr=1;lr=2", "grid", "'lr' is given twice"),
        ("lr=gauss(0,1)", "random", "unknown distribution 'gauss'"),
        ("lr=[uniform(0,1)]", "random", "cannot be inside a list"),
        ("lr=1.2.3", "grid", "malformed number '1.2.3'"),
        ("lr=%", "grid", "unexpected character '%'"),
        ("", "grid", "the search space is empty"),
        ("a=[1];;b=2", "grid", "expected a hyperparameter name"),
        ("import os", "grid", "expected '=', found 'os'"),
    ],
)
def test_parse_errors_name_the_bad_part(text, kind, words):
    with pytest.raises(SpecError) as info:
        parse_space(text, kind)
    message = str(info.value)
    assert words in message
    assert text in message  # the text, with a caret under the fault


def test_the_caret_points_at_the_fault():
    with pytest.raises(SpecError) as info:
        parse_space("hidden=[32,64];lr=[0.1 0.2]")
    _, text_line, caret_line = str(info.value).splitlines()
    assert text_line[caret_line.index("^")] == "0"
    assert caret_line.index("^") == text_line.index("0.2")


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_grid_search_command_prints_a_table_and_writes_csv(tmp_path, capsys):
    out = tmp_path / "results.csv"
    code = main(
        [
            "search",
            "--dataset",
            "xor",
            "--n",
            "120",
            "--grid",
            "hidden=[4,8];lr=[0.01,0.1];activation=tanh",
            "--epochs",
            "2",
            "--executor",
            "sequential",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[0].startswith("| trial | hidden | lr | activation | seed | val_accuracy |")
    assert "*" in lines[2]  # the best first, marked
    assert any(line.startswith("best: trial ") for line in lines)
    rows = read_csv(out)
    assert [row["trial"] for row in rows] == ["0", "1", "2", "3"]
    assert {row["hidden"] for row in rows} == {"4", "8"}


def test_random_search_command_in_processes_with_a_curve(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out, curve = tmp_path / "r.csv", tmp_path / "lr.png"
    code = main(
        [
            "search",
            "--dataset",
            "xor",
            "--n",
            "120",
            "--random",
            "3",
            "--space",
            "lr=loguniform(1e-3,1e-1);hidden=choice(4,8)",
            "--epochs",
            "2",
            "--jobs",
            "2",
            "--out",
            str(out),
            "--curve",
            "lr",
            "--curve-file",
            str(curve),
            "--seed",
            "4",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "random search: 3 trials" in captured.err
    assert "trials: 100%" in captured.err  # the progress bar
    assert len(read_csv(out)) == 3
    assert curve.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args, words",
    [
        (["--grid", "lr=loguniform(1,2)"], "bad search space: in 'lr': loguniform(...)"),
        (["--grid", "lrate=[0.1]"], "unknown hyperparameter(s) ['lrate']"),
        (["--grid", "activation=[reluu]"], "unknown activation 'reluu'"),
        (["--grid", "lr=[0.1]", "--dataset", "nope"], "unknown data set 'nope'"),
        (["--random", "3"], "--random N needs --space"),
        (["--grid", "lr=[0.1]", "--space", "lr=[1]"], "--space goes with --random N"),
        (["--grid", "lr=[1]", "--jobs", "2", "--executor", "sequential"], "--jobs is for"),
        (
            ["--grid", "lr=[1]", "--ray-address", "auto", "--executor", "processes"],
            "--ray-address is for --executor ray",
        ),
        (["--grid", "lr=[1]", "--curve", "hidden"], "the space has no 'hidden'"),
    ],
)
def test_command_errors_are_one_message_and_status_2(args, words, capsys):
    code = main(["search", "--dataset", "xor", "--n", "50", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("chainrule search: error: ")
    assert words in err


def test_a_bad_config_is_caught_before_any_trial(capsys):
    code = main(
        [
            "search",
            "--dataset",
            "xor",
            "--n",
            "50",
            "--grid",
            "optimizer=[adam];momentum=[0.5]",
            "--executor",
            "sequential",
            "--no-progress",
        ]
    )
    assert code == 2
    assert "takes no momentum" in capsys.readouterr().err


def test_every_trial_failing_exits_1(monkeypatch, capsys):
    from chainrule.search.mlp import MLPTrainFn

    def broken(self, config, seed):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(MLPTrainFn, "__call__", broken)
    code = main(
        [
            "search",
            "--dataset",
            "xor",
            "--n",
            "50",
            "--grid",
            "lr=[0.1,0.2]",
            "--executor",
            "sequential",
            "--no-progress",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "2 trial(s) failed; trial 0: RuntimeError: out of memory" in captured.err
    assert "| 0 | 0.1 |" in captured.out  # the failed trials are still in the table


def test_grid_and_random_are_exclusive_and_one_is_required(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--dataset", "xor"])
    with pytest.raises(SystemExit):
        main(["search", "--grid", "lr=[1]", "--random", "2"])
