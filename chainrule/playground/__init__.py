"""The playground: watch a network learn, in the browser, trained by chainrule.

``chainrule playground`` serves a page with the data, the network and its output,
like playground.tensorflow.org, while the training runs in Python in the server,
one session per browser tab, with chainrule's ``nn``, ``optim`` and ``data``.

Modules, in reading order:

- ``state.py``: the settings table (types, ranges, defaults), checked and written to
  and from the URL query;
- ``network.py``: the model code: data, network, loss, optimizer, the math of one point;
- ``session.py``: one experiment: training in slices, frames for the page, uploads;
- ``export.py``: the runnable Python script of an experiment;
- ``protocol.py``: the websocket messages, checked;
- ``server.py``: the Starlette app; ``cli.py``: the command;
- ``static/``: the page (plain JavaScript modules and canvas/SVG, no build step).

See ``README.md`` in this folder for the protocol, the test ids and serving a class.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Session", "Limits", "create_app"]

# Loaded on first use, so that `chainrule --help` does not import the training code.
_NAMES = {
    "Session": "chainrule.playground.session",
    "Limits": "chainrule.playground.state",
    "create_app": "chainrule.playground.server",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'chainrule.playground' has no attribute {name!r}")
