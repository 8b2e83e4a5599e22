"""``chainrule demo``: run the tour of ``chainrule.demo``."""

from __future__ import annotations

import argparse

from chainrule import demo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo takes no options."""


def run(args: argparse.Namespace) -> int:
    demo.main()
    return 0
