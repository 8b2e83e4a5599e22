"""``chainrule plot``: pictures of activations, training curves and decision boundaries.

    chainrule plot activations --out activations.png
    chainrule plot activations --names tanh relu --range -3 3 --out act.svg
    chainrule plot history history.json --out curves.png
    chainrule plot boundary --data spiral --hidden 16,16 --activation tanh --out spiral.png

``history`` reads a JSON dict of lists (Keras's layout: ``loss``, ``val_loss``, ...).
``boundary`` trains a small MLP on one of the 2-D data sets of ``chainrule.data``
and draws its decision regions with the data on top.
The format of ``--out`` comes from its extension: .png, .svg or .pdf.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``chainrule plot {activations,history,boundary} ...``."""
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)

    act = kinds.add_parser("activations", help="every activation and its derivative")
    act.add_argument("--names", nargs="+", default=None, help="activations to draw (default all)")
    act.add_argument("--range", nargs=2, type=float, default=(-5.0, 5.0), metavar=("LOW", "HIGH"))
    act.add_argument("--out", default="activations.png", help="output file (.png, .svg, .pdf)")

    hist = kinds.add_parser("history", help="loss/metric curves from a JSON dict of lists")
    hist.add_argument("file", help="a JSON file: {'loss': [...], 'val_loss': [...], ...}")
    hist.add_argument("--out", default="history.png", help="output file (.png, .svg, .pdf)")

    boundary = kinds.add_parser("boundary", help="train a small MLP on 2-D data, draw regions")
    boundary.add_argument(
        "--data", default="xor", help="circle, xor, gauss, spiral, spirals, blobs"
    )
    boundary.add_argument("--hidden", default="8,8", help="hidden sizes, comma-separated")
    boundary.add_argument("--activation", default="tanh", help="hidden activation name")
    boundary.add_argument("--epochs", type=int, default=100)
    boundary.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate")
    boundary.add_argument("--noise", type=float, default=0.0)
    boundary.add_argument("--seed", type=int, default=0)
    boundary.add_argument("--out", default="boundary.png", help="output file (.png, .svg, .pdf)")


def run(args: argparse.Namespace) -> int:
    try:
        from chainrule.viz import plots

        if args.kind == "activations":
            plots.plot_activations(args.names, tuple(args.range), out=args.out)
        elif args.kind == "history":
            history = json.loads(Path(args.file).read_text(encoding="utf-8"))
            plots.plot_history(history, title=Path(args.file).name, out=args.out)
        else:
            model, X, y = train_on_2d_data(args)
            title = f"{args.data}: {args.hidden} {args.activation}, {args.epochs} epochs"
            plots.plot_decision_boundary(model, X, y, title=title, out=args.out)
    except (ValueError, TypeError, RuntimeError, OSError) as error:
        print(f"chainrule plot: error: {error}", file=sys.stderr)
        return 2
    print(f"plot written to {args.out}")
    return 0


def train_on_2d_data(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """Train an MLP with ``fit`` on a 2-D classification data set; return it and the data."""
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.data.synthetic import get_generator
    from chainrule.train import fit

    generator = get_generator(args.data)
    if generator.problem != "classification":
        raise ValueError(f"--data {args.data} is a regression set: choose a classification one")
    try:
        hidden = [int(size) for size in str(args.hidden).split(",") if size.strip()]
    except ValueError:
        raise ValueError(
            f"--hidden must be comma-separated integers, got {args.hidden!r}"
        ) from None
    cr.manual_seed(args.seed)
    X, y = generator(noise=args.noise, seed=args.seed)
    classes = int(y.max()) + 1
    model = nn.mlp(2, hidden, classes, args.activation)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        (X, y),
        epochs=args.epochs,
        verbose=0,
        seed=args.seed,
    )
    return model, X, y
