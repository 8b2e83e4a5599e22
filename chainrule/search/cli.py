"""``chainrule search``: grid or random search over an MLP's hyperparameters.

    chainrule search --dataset digits --grid "hidden=[32,64,128];lr=[0.01,0.1]" \\
        --executor processes --epochs 10 --seed 0 --out results.csv
    chainrule search --dataset digits --random 20 \\
        --space "lr=loguniform(1e-4,1e-1);hidden=choice(32,64);activation=[relu,tanh]"
    chainrule search ... --executor ray --ray-address auto      (a running Ray cluster)

Each trial trains ``MLPTrainFn`` (see ``chainrule/search/mlp.py``: the keys are hidden,
activation, optimizer, lr, momentum, batch_size, l2, epochs) on the training part and
scores it on the validation part. A progress bar counts the trials (on stderr); at the
end a table ranks them, best first. ``--out`` writes every trial to CSV and
``--curve lr`` plots the validation curve of one hyperparameter.

Ctrl-C stops the search: the trials not started are cancelled, the finished ones are
printed (and written with ``--out``), and the exit status is 130. A bad option or
space prints one line, ``chainrule search: error: ...``, and exits with status 2; if
every trial failed the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chainrule.search.executors import EXECUTORS
from chainrule.train.cli_common import checked_value, positive_int

__all__ = ["add_arguments", "run"]


def _fraction(text: str) -> float:
    """A number strictly between 0 and 1 (a validation fraction)."""
    return float(checked_value(text, float, lambda v: 0 < v < 1, "a fraction between 0 and 1"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule search``."""
    from chainrule.search.mlp import CONFIG_KEYS

    parser.usage = (
        "chainrule search [--dataset NAME] (--grid SPACE | --random N --space SPACE) [options]"
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        f"hyperparameters of the MLP: {', '.join(CONFIG_KEYS)}\n\n"
        "examples:\n"
        '  chainrule search --grid "hidden=[32,64,128];lr=[0.01,0.1]" --out results.csv\n'
        '  chainrule search --random 20 --space "lr=loguniform(1e-4,1e-1);hidden=choice(32,64);'
        'activation=[relu,tanh]" --curve lr\n'
        '  chainrule search --grid "hidden=[(64,32),(128,64)];optimizer=[adam,sgd]" '
        "--ray-address auto"
    )
    space = parser.add_argument_group("the search space")
    which = space.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--grid",
        metavar="SPACE",
        help='every combination, e.g. "hidden=[32,64,128];lr=[0.01,0.1]"',
    )
    which.add_argument(
        "--random",
        type=positive_int,
        metavar="N",
        help="N configurations drawn from --space",
    )
    space.add_argument(
        "--space",
        metavar="SPACE",
        help='for --random: e.g. "lr=loguniform(1e-4,1e-1);hidden=choice(32,64)"; '
        "distributions uniform(a,b), loguniform(a,b), integer(a,b), choice(v,...), "
        "a list [v,...] is a choice",
    )

    data = parser.add_argument_group("data and training")
    data.add_argument(
        "--dataset",
        default="digits",
        metavar="NAME",
        help="a generator (spiral, xor, ...), a shipped set (digits, iris, ...) or a CSV "
        "file (default digits)",
    )
    data.add_argument(
        "--n", type=positive_int, metavar="N", help="use (or generate) this many samples"
    )
    data.add_argument(
        "--noise", type=float, default=0.0, metavar="X", help="a generated data set's noise"
    )
    data.add_argument(
        "--val-size",
        type=_fraction,
        default=0.2,
        metavar="FRACTION",
        help="validation fraction (default 0.2)",
    )
    data.add_argument(
        "--epochs",
        type=positive_int,
        default=10,
        metavar="N",
        help="epochs per trial (default 10)",
    )
    data.add_argument(
        "--seed",
        type=int,
        metavar="S",
        default=0,
        help="the search's seed: draws the configurations and every trial's seed (default 0)",
    )

    run_group = parser.add_argument_group("where the trials run")
    run_group.add_argument(
        "--executor",
        choices=sorted(EXECUTORS),
        help="processes (default: every core), sequential, or ray",
    )
    run_group.add_argument(
        "--jobs", type=positive_int, metavar="N", help="worker processes for --executor processes"
    )
    run_group.add_argument(
        "--ray-address",
        metavar="ADDRESS",
        help='a Ray cluster: "auto" (after `ray start`) or "ray://host:10001"; implies '
        "--executor ray",
    )
    run_group.add_argument(
        "--ray-cpus",
        type=float,
        default=1.0,
        metavar="N",
        help="CPUs each trial reserves on Ray (default 1)",
    )

    out = parser.add_argument_group("results")
    out.add_argument(
        "--metric",
        metavar="NAME",
        help="the score to rank by (default val_accuracy, or val_r2 for regression)",
    )
    out.add_argument(
        "--mode", choices=("max", "min"), help="max or min (default: min for a loss, else max)"
    )
    out.add_argument("--out", metavar="CSV", help="write every trial to this CSV file")
    out.add_argument(
        "--curve", metavar="PARAM", help="plot the validation curve of this hyperparameter"
    )
    out.add_argument(
        "--curve-file", metavar="PNG", help="where to save it (default curve_PARAM.png)"
    )
    out.add_argument(
        "--top", type=positive_int, default=10, metavar="K", help="rows in the table (default 10)"
    )
    out.add_argument("--no-progress", action="store_true", help="no progress bar")


def _fail(message: str) -> int:
    text = " ".join(str(message).split()) if "\n" not in message else message
    print(f"chainrule search: error: {text}", file=sys.stderr)
    return 2


def _executor(args: argparse.Namespace) -> Any:
    from chainrule.search.executors import ProcessExecutor, RayExecutor, SequentialExecutor

    name = args.executor or ("ray" if args.ray_address else "processes")
    if args.ray_address and name != "ray":
        raise ValueError(f"--ray-address is for --executor ray, not {name}")
    if args.jobs and name != "processes":
        raise ValueError(f"--jobs is for --executor processes, not {name}")
    if name == "ray":
        return RayExecutor(address=args.ray_address, num_cpus=args.ray_cpus)
    if name == "processes":
        return ProcessExecutor(n_jobs=args.jobs)
    return SequentialExecutor()


def run(args: argparse.Namespace) -> int:
    """Run the search the options describe; print the table; 0 if any trial succeeded."""
    from chainrule.search.mlp import MLPTrainFn
    from chainrule.search.search import SearchInterrupted, random_configs, run_search
    from chainrule.search.space import grid_points
    from chainrule.search.spec import SpecError, parse_space

    kind = "grid" if args.grid is not None else "random"
    if kind == "random" and not args.space:
        return _fail('--random N needs --space, e.g. --space "lr=loguniform(1e-4,1e-1)"')
    if kind == "grid" and args.space:
        return _fail("--space goes with --random N; --grid takes the space itself")
    if args.seed < 0:
        return _fail(f"--seed must be >= 0, got {args.seed}")
    train_fn = MLPTrainFn(
        dataset=args.dataset,
        epochs=args.epochs,
        val_size=args.val_size,
        split_seed=args.seed,
        n=args.n,
        noise=args.noise,
    )
    try:
        space = parse_space(args.grid if kind == "grid" else args.space, kind)
        if kind == "grid":
            configs = grid_points(space)
        else:  # the configurations random_search would draw
            configs = random_configs(space, args.random, args.seed)
        for config in configs:
            train_fn.check(config)  # a bad key or value, before any trial runs
        if args.curve and args.curve not in space:
            raise ValueError(f"--curve {args.curve}: the space has no {args.curve!r}")
        metric = args.metric or train_fn.metric()  # loads the data set: a bad name fails here
        mode = args.mode or ("min" if "loss" in metric else "max")
        executor = _executor(args)
    except SpecError as error:
        return _fail(f"bad search space: {error}")
    except (ValueError, TypeError, ImportError, FileNotFoundError) as error:
        return _fail(str(error))

    print(
        f"{kind} search: {len(configs)} trials of an MLP on {args.dataset}, "
        f"{args.epochs} epochs each, on {executor!r}",
        file=sys.stderr,
    )
    interrupted = False
    try:
        result = run_search(
            configs,
            train_fn,
            seed=args.seed,
            metric=metric,
            mode=mode,
            executor=executor,
            progress=not args.no_progress,
            kind=kind,
        )
    except SearchInterrupted as interrupt:
        result = interrupt.result
        interrupted = True
        print(f"\ninterrupted: {len(result)} of {len(configs)} trials finished", file=sys.stderr)
    except (TypeError, ImportError, ConnectionError) as error:
        return _fail(str(error))

    print(result.to_markdown(top=args.top))
    if result.failed:
        first = result.failed[0]
        print(
            f"\n{len(result.failed)} trial(s) failed; trial {first.index}: {first.error}",
            file=sys.stderr,
        )
    if result.ok:
        best = result.best
        print(
            f"\nbest: trial {best.index} {best.config} seed={best.seed} "
            f"{metric}={best.scores.get(metric, float('nan')):.4g}"
        )
    if args.out:
        result.to_csv(args.out)
        print(f"wrote {len(result)} trials to {args.out}", file=sys.stderr)
    if args.curve and result.ok:
        path = args.curve_file or f"curve_{args.curve}.png"
        try:
            result.plot_validation_curve(args.curve, Path(path))
        except ImportError as error:
            return _fail(str(error))
        print(f"wrote the validation curve of {args.curve} to {path}", file=sys.stderr)
    if interrupted:
        return 130
    return 0 if result.ok else 1
