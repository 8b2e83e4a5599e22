"""The ``chainrule`` command line.

Each subcommand lives beside the part of the library it drives, in a module that
defines ``add_arguments(parser)`` and ``run(args) -> int``; this file only lists them.
A subcommand whose optional dependencies are missing says which extra to install.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> (module, one-line help). A module imports its optional dependencies inside
# run(), so that `chainrule --help` works with only NumPy installed.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("chainrule.demo_command", "the course's worked examples and a network learning XOR"),
    "train": ("chainrule.train.cli_train", "train an MLP on a data set and save it"),
    "evaluate": ("chainrule.train.cli_evaluate", "evaluate a saved model on a data set"),
    "playground": ("chainrule.playground.cli", "the interactive playground in the browser"),
    "explain": ("chainrule.viz.cli_explain", "the backward pass of an expression, step by step"),
    "plot": ("chainrule.viz.cli_plot", "plots: activations and their derivatives, ..."),
    "search": ("chainrule.search.cli", "grid or random hyperparameter search"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Neural networks from the chain rule up.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and module_name.startswith(error.name):
                continue  # that part of chainrule is not in this version
            raise
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(_module=module_name)
        module.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
