"""Seeing backpropagation: graph drawings, step-by-step traces, plots.

* ``graph(output, params)``: the computational graph behind a tensor with every
  value (green) and gradient (red), as SVG / PNG / DOT / JSON, in Jupyter too;
  a network collapses to one node per layer (``graph.py``).
* ``explain(output)``: the backward pass as a table, op by op: upstream gradient,
  local gradient, their product passed down, and the pattern at work (add
  distributes, mul swaps, max routes, copy adds) (``explain.py``). On the command
  line: ``chainrule explain "(x+y)*z" --x -2 --y 5 --z -4``.
* ``parse_expression``: the safe parser behind that command (``expr.py``).
* ``trace(output)``: the numbers both are made from (``trace.py``).
* plots with matplotlib (``plots.py``): ``plot_activations``,
  ``plot_decision_boundary``, ``plot_history``, ``plot_gradient_norms``; on the
  command line ``chainrule plot activations --out activations.png``.
* ``TrainingDiagnostics`` (``diagnostics.py``): a ``chainrule.train`` callback that
  watches gradient norms, dead ReLUs, saturated units and update sizes per layer.

matplotlib and graphviz are optional (``pip install 'chainrule[plot]'``); they are
imported only when a picture is drawn.
"""

from __future__ import annotations

from typing import Any

from chainrule.viz.explain import ExplainRow, Explanation, explain
from chainrule.viz.expr import Expression, ExpressionError, parse_expression
from chainrule.viz.graph import Graph, graph
from chainrule.viz.trace import Trace, trace

__all__ = [
    "graph",
    "Graph",
    "explain",
    "Explanation",
    "ExplainRow",
    "parse_expression",
    "Expression",
    "ExpressionError",
    "trace",
    "Trace",
    "plot_activations",
    "plot_decision_boundary",
    "plot_history",
    "plot_gradient_norms",
    "TrainingDiagnostics",
]

# Loaded on first use: plots need matplotlib, diagnostics need chainrule.train.
_LAZY = {
    "plot_activations": "chainrule.viz.plots",
    "plot_decision_boundary": "chainrule.viz.plots",
    "plot_history": "chainrule.viz.plots",
    "plot_gradient_norms": "chainrule.viz.plots",
    "TrainingDiagnostics": "chainrule.viz.diagnostics",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'chainrule.viz' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
