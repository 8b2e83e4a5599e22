"""Drawings of the computational graph, with values and gradients on every node and edge.

``graph(output)`` walks the graph behind any tensor and returns a ``Graph``: it shows
itself in Jupyter (``_repr_html_`` / ``_repr_svg_``), saves to a file (``.save("g.svg")``,
``.png``, ``.pdf``, ``.dot``, ``.json``) and exports DOT (``.to_dot()``) and JSON
(``.to_json()``).

The drawing follows the course's convention for circuits: the forward value of
every wire in green above it, the gradient flowing back along it in red below. Each
op node shows its op name, its output and the gradient of the output with respect to
it: a one-element value in full, a larger one by its shape and min / mean / max (the
first values are in the node's tooltip, all of them in ``to_json()``).

The gradients are computed by ``chainrule.viz.trace``, which runs its own backward
pass: nothing is written to ``.grad`` and the graph is not freed. They are shown
when the output has one element (a loss) or when ``grad_output`` is given.

A whole network is a big graph. Given the model as ``params``, the graph is drawn
with one node per layer (``collapse=True``, the default then) or with every op, the
ops of each layer framed together (``collapse=False``). An op belongs to a layer when
it reads that layer's parameters (``Linear(x, W, b)``), or when it only reads values
of that layer and one-element constants (the activation after it: ``Tanh``, or the
several ops of a composite activation such as ``leaky_relu``). A loss is not a layer:
it reads the targets, a constant that is not a single number, or reduces to one.

Rendering SVG, PNG or PDF needs Graphviz's ``dot`` program and the ``graphviz``
Python package (``pip install chainrule[plot]``, ``apt-get install graphviz``);
``to_dot()`` and ``to_json()`` work without them.

Example::

    >>> x, y, z = (cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in (-2, 5, -4))
    >>> g = graph((x + y) * z, params={"x": x, "y": y, "z": z})
    >>> g.save("circuit.svg")
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.viz._format import norm, number, shape_text, summary, values_preview
from chainrule.viz.trace import Edge, Trace, Value, trace

__all__ = ["Graph", "graph", "GREEN", "RED"]

GREEN = "#1b7a2f"  # forward values
RED = "#c62828"  # gradients
_FONT = "Helvetica"

# How each kind of node is drawn: graphviz attributes.
_NODE_STYLE: dict[str, dict[str, str]] = {
    "input": {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#eef3fb",
        "color": "#4a6fa5",
    },
    "constant": {
        "shape": "box",
        "style": "rounded,dashed",
        "color": "#9e9e9e",
        "fontcolor": "#666666",
    },
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fffbea", "color": "#8d6e00"},
    "layer": {"shape": "box3d", "style": "filled", "fillcolor": "#f3eefc", "color": "#5e35b1"},
}

_RENDER_FORMATS = ("svg", "png", "pdf")
_MAX_JSON_ELEMENTS = 256  # arrays up to this size are written out in full in to_json()


class Graph:
    """A drawable computational graph (see ``chainrule.viz.graph``).

    Attributes:
        trace: the traced graph (values, edges, gradients) it draws.
        layers: value index -> layer name, for values that belong to a layer.
        collapse: draw one node per layer (True) or every op (False).
    """

    def __init__(
        self,
        traced: Trace,
        layers: Mapping[int, str] | None = None,
        layer_types: Mapping[str, str] | None = None,
        collapse: bool = False,
        digits: int = 4,
        rankdir: str = "LR",
        title: str | None = None,
    ) -> None:
        if rankdir not in ("LR", "TB", "RL", "BT"):
            raise ValueError(f"rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
        self.trace = traced
        self.layers = dict(layers or {})
        self.layer_types = dict(layer_types or {})
        self.collapse = collapse and bool(self.layers)
        self.digits = digits
        self.rankdir = rankdir
        self.title = title

    # ---------------------------------------------------------------- variants

    def expanded(self) -> Graph:
        """The same graph with every op drawn (each layer framed)."""
        return self._with(collapse=False)

    def collapsed(self) -> Graph:
        """The same graph with one node per layer (when layers are known)."""
        return self._with(collapse=True)

    def _with(self, collapse: bool) -> Graph:
        return Graph(
            self.trace,
            self.layers,
            self.layer_types,
            collapse=collapse,
            digits=self.digits,
            rankdir=self.rankdir,
            title=self.title,
        )

    # ---------------------------------------------------------------- exports

    def to_dict(self) -> dict[str, Any]:
        """Every value and edge with its numbers (the full graph, never collapsed)."""
        values = self.trace.values
        nodes = []
        for value in values:
            nodes.append(
                {
                    "id": _node_id(value),
                    "kind": value.kind,
                    "name": value.name,
                    "op": value.op,
                    "shape": list(value.data.shape),
                    "dtype": str(value.data.dtype),
                    "value": _jsonable(value.data),
                    "grad": _jsonable(value.grad),
                    "layer": self.layers.get(value.index),
                    "inputs": [_node_id(values[i]) for i in value.inputs],
                }
            )
        edges = [
            {
                "source": _node_id(values[e.source]),
                "target": _node_id(values[e.target]),
                "position": e.position,
                "grad": _jsonable(e.grad),
                "local": _jsonable(e.local),
            }
            for e in self.trace.edges
        ]
        layer_names = sorted(set(self.layers.values()), key=_first_index(self.layers))
        layers = [
            {
                "name": name,
                "type": self.layer_types.get(name),
                "members": [_node_id(values[i]) for i, n in self.layers.items() if n == name],
            }
            for name in layer_names
        ]
        return {
            "output": _node_id(values[self.trace.output]),
            "has_gradients": self.trace.has_gradients,
            "nodes": nodes,
            "edges": edges,
            "layers": layers,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as JSON text. Arrays larger than 256 elements are summarized."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_dot(self, dpi: int | None = None) -> str:
        """The drawing in Graphviz's DOT language (needs no Graphviz to produce)."""
        return _DotWriter(self, dpi).write()

    def render(self, format: str = "svg", dpi: int | None = None) -> bytes:  # noqa: A002
        """The drawing rendered by Graphviz's ``dot``: ``svg``, ``png`` or ``pdf`` bytes.

        ``dpi`` sets the resolution of a PNG (Graphviz's default is 96).
        """
        if format not in _RENDER_FORMATS:
            raise ValueError(f"format must be one of {', '.join(_RENDER_FORMATS)}, got {format!r}")
        try:
            import graphviz
        except ImportError:
            raise RuntimeError(
                "drawing the graph needs the graphviz Python package and Graphviz's dot "
                "program: pip install 'chainrule[plot]' and apt-get install graphviz "
                "(or brew install graphviz); to_dot() and to_json() work without them"
            ) from None
        try:
            dot = self.to_dot(dpi if format == "png" else None)
            return graphviz.Source(dot).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise RuntimeError(
                "Graphviz's dot program was not found: install Graphviz (apt-get install "
                "graphviz, brew install graphviz, or https://graphviz.org/download/) to draw "
                "SVG, PNG or PDF; to_dot() and to_json() work without it"
            ) from None

    def svg(self) -> str:
        """The drawing as SVG text."""
        return self.render("svg").decode("utf-8")

    def save(self, path: str | Path, dpi: int = 150) -> Path:
        """Write the graph to ``path``; the format comes from the extension.

        ``.svg``, ``.png`` (at ``dpi``), ``.pdf`` (drawn by Graphviz), ``.dot`` / ``.gv``
        (DOT text), ``.json`` (the values and gradients).
        """
        path = Path(path)
        suffix = path.suffix.lower().lstrip(".")
        if suffix in ("dot", "gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        elif suffix == "json":
            path.write_text(self.to_json(), encoding="utf-8")
        elif suffix in _RENDER_FORMATS:
            path.write_bytes(self.render(suffix, dpi))
        else:
            raise ValueError(
                f"cannot tell the format of {str(path)!r} from its extension: use .svg, .png, "
                ".pdf, .dot, .gv or .json"
            )
        return path

    # ---------------------------------------------------------------- Jupyter

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except RuntimeError:
            return None

    def _repr_html_(self) -> str:
        try:
            picture = self.svg()
        except RuntimeError as error:
            picture = f"<p>{html.escape(str(error))}</p><pre>{html.escape(self.to_dot())}</pre>"
        return f"<div>{picture}{self._details_html()}</div>"

    def _details_html(self) -> str:
        """An expandable table of every value and gradient, under the drawing."""
        rows = []
        for value in self.trace.values:
            rows.append(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(cell)}</td>"
                    for cell in (
                        value.name,
                        value.op or value.kind,
                        shape_text(value.data.shape),
                        summary(value.data, self.digits),
                        "" if value.grad is None else summary(value.grad, self.digits),
                        self.layers.get(value.index, ""),
                    )
                )
                + "</tr>"
            )
        header = "".join(
            f"<th>{h}</th>" for h in ("name", "op", "shape", "value", "gradient", "layer")
        )
        return (
            "<details><summary>values and gradients</summary>"
            f"<table><tr>{header}</tr>{''.join(rows)}</table></details>"
        )

    def __repr__(self) -> str:
        ops = sum(1 for v in self.trace.values if v.kind == "op")
        layers = len(set(self.layers.values()))
        extra = f", {layers} layers{' (collapsed)' if self.collapse else ''}" if layers else ""
        return f"<Graph of {self.trace.values[self.trace.output].name}: {ops} ops{extra}>"


def graph(
    output: Tensor,
    params: Any = None,
    collapse: bool | None = None,
    grad_output: Any = None,
    gradients: bool = True,
    digits: int = 4,
    rankdir: str = "LR",
    title: str | None = None,
    output_name: str = "f",
    names: Mapping[str, Tensor] | None = None,
) -> Graph:
    """The graph behind ``output``, with values and gradients, ready to draw.

    Args:
        output: any tensor computed by chainrule ops (a loss, a circuit's output).
        params: a Module (its ``named_parameters()`` label the leaves, and its layers
            can be collapsed) or a dict name -> tensor (inputs, parameters, or
            intermediate results to label).
        collapse: one node per layer (True) or every op (False). Default: True when
            ``params`` is a Module, else False.
        grad_output: the gradient flowing into ``output`` when it has more than one
            element (a one-element output gets 1).
        gradients: False to show forward values only.
        digits: significant digits of the numbers shown.
        rankdir: the direction of the drawing, ``"LR"`` (left to right, the course's
            circuits) or ``"TB"`` (top to bottom).
        title: a caption drawn above the graph.
        output_name: the output's label when ``params`` does not name it.
        names: more labels, name -> tensor (the data ``x``, targets, intermediate
            results), used with a Module as ``params``.

    Returns:
        A ``Graph``: display it in Jupyter, ``save`` it, or export ``to_dot``/``to_json``.

    Example::

        >>> w = cr.tensor([2.0, -3.0, -3.0], dtype=cr.float64, requires_grad=True)
        >>> x = cr.tensor([-1.0, -2.0], dtype=cr.float64, requires_grad=True)
        >>> f = 1 / (1 + (-(w[0] * x[0] + w[1] * x[1] + w[2])).exp())
        >>> graph(f, params={"w": w, "x": x}).save("neuron.svg")
    """
    traced = trace(
        output,
        [params, names],
        grad_output=grad_output,
        gradients=gradients,
        output_name=output_name,
    )
    layers: dict[int, str] = {}
    layer_types: dict[str, str] = {}
    if params is not None and hasattr(params, "named_parameters"):
        layers, layer_types = _layers_of(traced, params)
    if collapse is None:
        collapse = bool(layers)
    return Graph(
        traced, layers, layer_types, collapse=collapse, digits=digits, rankdir=rankdir, title=title
    )


# -------------------------------------------------------------------------------------
# Which values belong to which layer.
# -------------------------------------------------------------------------------------


def _layers_of(traced: Trace, module: Any) -> tuple[dict[int, str], dict[str, str]]:
    """Assign op values (and the parameters they read) to the layers of ``module``.

    A layer is a module that owns parameters; its name is the dotted prefix of their
    names (``"0"`` for ``"0.weight"``). An op belongs to a layer when it reads one of
    the layer's parameters, or when every non-constant input it reads belongs to the
    layer and its constants are single numbers (an activation), unless it reduces the
    layer's output to one number (a loss).
    """
    param_layer: dict[int, str] = {}
    for name, tensor in module.named_parameters():
        param_layer.setdefault(id(tensor), name.rpartition(".")[0])
    modules = dict(module.named_modules()) if hasattr(module, "named_modules") else {}
    layers: dict[int, str] = {}
    layer_size: dict[str, int] = {}  # the size of the value that seeded each layer
    values = traced.values
    for value in values:
        if value.kind != "op":
            continue
        inputs = [values[i] for i in value.inputs]
        owners = [param_layer[id(v.tensor)] for v in inputs if id(v.tensor) in param_layer]
        if owners:
            layers[value.index] = owners[0]
            layer_size.setdefault(owners[0], value.data.size)
            continue
        candidates = {layers.get(v.index) for v in inputs if v.kind == "op"}
        if len(candidates) != 1 or None in candidates:
            continue
        layer = str(candidates.pop())
        if any(v.kind == "constant" and v.data.size != 1 for v in inputs):
            continue  # reads a target or other data: not an activation
        if any(v.kind == "input" and param_layer.get(id(v.tensor)) != layer for v in inputs):
            continue
        if value.data.size == 1 and layer_size.get(layer, 1) != 1:
            continue  # reduces the layer to one number: a loss
        layers[value.index] = layer
    # Parameters and one-number constants go with a layer when only that layer reads them.
    for value in values:
        owner = param_layer.get(id(value.tensor))
        if value.kind == "constant" and value.data.size == 1 and value.uses:
            owner = layers.get(traced.edges[value.uses[0]].target)
        if owner is not None and all(
            layers.get(traced.edges[e].target) == owner for e in value.uses
        ):
            layers[value.index] = owner
    layer_types = {}
    for name in set(layers.values()):
        found = modules.get(name)
        kind = type(found).__name__ if found is not None else "params"
        absorbed = any(
            n == name
            and values[i].kind == "op"
            and not _reads_params(values[i], param_layer, values)
            for i, n in layers.items()
        )
        follower = _next_module(modules, name) if absorbed else None
        layer_types[name] = f"{kind} → {type(follower).__name__}" if follower else kind
    return layers, layer_types


def _reads_params(value: Value, param_layer: Mapping[int, str], values: list[Value]) -> bool:
    return any(id(values[i].tensor) in param_layer for i in value.inputs)


def _next_module(modules: Mapping[str, Any], name: str) -> Any:
    """The module after ``name`` in registration order (not inside it), if it has no
    parameters: the activation that follows a layer in a ``Sequential``."""
    names = list(modules)
    if name not in modules:
        return None
    position = names.index(name) + 1
    while position < len(names) and names[position].startswith(f"{name}."):
        position += 1
    if position >= len(names):
        return None
    candidate = modules[names[position]]
    has_params = (
        any(True for _ in candidate.parameters()) if hasattr(candidate, "parameters") else True
    )
    return None if has_params else candidate


def _first_index(layers: Mapping[int, str]) -> Any:
    """A sort key putting layers in forward order."""
    first: dict[str, int] = {}
    for index, name in sorted(layers.items()):
        first.setdefault(name, index)
    return lambda name: first.get(name, 0)


# -------------------------------------------------------------------------------------
# DOT.
# -------------------------------------------------------------------------------------


def _node_id(value: Value) -> str:
    return f"v{value.index}"


def _quote(text: str) -> str:
    """A DOT string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attributes(attrs: Mapping[str, str]) -> str:
    """``[key="value", ...]``, HTML-like labels (``<...>``) left unquoted."""
    parts = []
    for key, text in attrs.items():
        is_html = key in ("label", "xlabel") and text.startswith("<") and text.endswith(">")
        parts.append(f"{key}={text if is_html else _quote(text)}")
    return "[" + ", ".join(parts) + "]"


def _font(text: str, color: str | None = None, size: int | None = None, bold: bool = False) -> str:
    """An HTML-like label fragment, escaped."""
    body = html.escape(text)
    if bold:
        body = f"<b>{body}</b>"
    attrs = (f' color="{color}"' if color else "") + (f' point-size="{size}"' if size else "")
    return f"<font{attrs}>{body}</font>" if attrs else body


def _jsonable(array: Any) -> Any:
    """A value for JSON: a number, a nested list, or a summary for big arrays."""
    if array is None:
        return None
    a = np.asarray(array)
    if a.size == 1:
        return _finite(a.item())
    if a.size <= _MAX_JSON_ELEMENTS:
        return [_finite(v) for v in a.ravel().tolist()] if a.ndim == 1 else _nested(a)
    return {
        "shape": list(a.shape),
        "min": _finite(a.min()),
        "mean": _finite(a.mean()),
        "max": _finite(a.max()),
        "first": [_finite(v) for v in a.ravel()[:8].tolist()],
    }


def _nested(a: np.ndarray) -> Any:
    if a.ndim == 0:
        return _finite(a.item())
    return [_nested(row) for row in a]


def _finite(v: Any) -> Any:
    """JSON has no NaN or infinity: write them as strings."""
    v = float(v) if not isinstance(v, bool) else v
    if isinstance(v, float) and not np.isfinite(v):
        return str(v)
    return v


class _DotWriter:
    """Builds the DOT text of a ``Graph`` (expanded, or collapsed to layers)."""

    def __init__(self, drawing: Graph, dpi: int | None = None) -> None:
        self.g = drawing
        self.dpi = dpi
        self.trace = drawing.trace
        self.values = drawing.trace.values
        self.lines: list[str] = []

    def fmt(self, array: Any) -> str:
        return summary(array, self.g.digits)

    def write(self) -> str:
        g = self.g
        graph_attrs = {
            "rankdir": g.rankdir,
            "bgcolor": "white",
            "fontname": _FONT,
            "nodesep": "0.35",
            "ranksep": "0.45",
            "ordering": "in",
        }
        legend = _font("forward value", GREEN, 10)
        if self.trace.has_gradients:
            legend += _font("  /  ", size=10) + _font("gradient", RED, 10)
        title = _font(g.title, size=16) + "<br/>" if g.title else ""
        graph_attrs.update({"label": f"<{title}{legend}>", "labelloc": "t"})
        if self.dpi:
            graph_attrs["dpi"] = str(self.dpi)
        self.lines = ["digraph chainrule {"]
        self.lines.append("  graph " + _attributes(graph_attrs) + ";")
        self.lines.append(f'  node [fontname="{_FONT}", fontsize="11", margin="0.12,0.06"];')
        self.lines.append(f'  edge [fontname="{_FONT}", fontsize="10", color="#555555"];')
        if g.collapse:
            self.write_collapsed()
        else:
            self.write_expanded()
        self.write_output()
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    # ------------------------------------------------------------ expanded

    def write_expanded(self) -> None:
        by_layer: dict[str, list[Value]] = {}
        for value in self.values:
            layer = self.g.layers.get(value.index)
            if layer is None:
                self.lines.append("  " + self.node_line(value))
            else:
                by_layer.setdefault(layer, []).append(value)
        for number_, (layer, members) in enumerate(by_layer.items()):
            title = self.layer_title(layer)
            self.lines.append(f"  subgraph cluster_{number_} {{")
            self.lines.append(
                "    graph "
                + _attributes(
                    {
                        "label": title,
                        "style": "rounded,dashed",
                        "color": "#5e35b1",
                        "fontcolor": "#5e35b1",
                        "fontsize": "12",
                    }
                )
                + ";"
            )
            self.lines.extend("    " + self.node_line(value) for value in members)
            self.lines.append("  }")
        for edge in self.trace.edges:
            self.lines.append("  " + self.edge_line(edge.source, edge.target, [edge]))

    def node_line(self, value: Value) -> str:
        style = dict(_NODE_STYLE[value.kind])
        parts: list[str] = []
        if value.kind == "op":
            title = f"{value.name} = {value.op}" if value.named else value.op or ""
            parts.append(_font(title, bold=True, size=12))
        elif value.kind == "input":
            parts.append(_font(value.name, bold=True, size=12))
        else:  # a constant: just its value (or its name and shape)
            text = (
                value.name
                if value.data.size == 1
                else f"{value.name} {shape_text(value.data.shape)}"
            )
            parts.append(_font(text, size=10))
        if value.kind != "constant":
            parts.append(_font(self.fmt(value.data), GREEN))
            if value.grad is not None:
                parts.append(_font("grad " + self.grad_text(value.grad), RED))
        if value.index == self.trace.output:
            style["peripheries"] = "2"
        style["label"] = "<" + "<br/>".join(parts) + ">"
        style["tooltip"] = self.tooltip(value)
        return f"{_node_id(value)} {_attributes(style)};"

    def grad_text(self, grad: Any) -> str:
        a = np.asarray(grad)
        if a.size == 1:
            return number(a.item(), self.g.digits)
        return f"norm {number(norm(a), 3)}"

    def tooltip(self, value: Value) -> str:
        lines = [f"{value.name}: {value.op or value.kind}, shape {shape_text(value.data.shape)}"]
        lines.append("value " + values_preview(value.data, digits=self.g.digits))
        if value.grad is not None:
            lines.append("grad " + values_preview(value.grad, digits=self.g.digits))
        return "\n".join(lines)

    def edge_line(
        self,
        source: int,
        target: int,
        edges: list[Edge],
        src_id: str | None = None,
        dst_id: str | None = None,
    ) -> str:
        value = self.values[source]
        src_id = src_id or _node_id(value)
        dst_id = dst_id or _node_id(self.values[target])
        grads = [e.grad for e in edges if e.grad is not None]
        parts = []
        if value.data.size == 1:
            parts.append(_font(self.fmt(value.data), GREEN))
        else:
            parts.append(_font(shape_text(value.data.shape), GREEN))
        if grads:
            parts.append(_font(self.grad_text(sum(grads[1:], grads[0])), RED))
        attrs = {"label": "<" + "<br/>".join(parts) + ">"}
        if value.kind == "constant":
            attrs.update({"style": "dashed", "color": "#9e9e9e"})
        return f"{src_id} -> {dst_id} {_attributes(attrs)};"

    def write_output(self) -> None:
        """A final wire out of the output, carrying its value and the seed gradient."""
        output = self.values[self.trace.output]
        source = self.drawn_id(output.index)
        value = output.data
        parts = [_font(self.fmt(value) if value.size == 1 else shape_text(value.shape), GREEN)]
        if self.trace.seed is not None:
            parts.append(_font(self.grad_text(self.trace.seed), RED))
        label = f"<{'<br/>'.join(parts)}>"
        self.lines.append(f'  out [shape=plaintext, label={_quote(output.name)}, fontsize="13"];')
        self.lines.append(f"  {source} -> out [label={label}];")

    def drawn_id(self, index: int) -> str:
        layer = self.g.layers.get(index) if self.g.collapse else None
        if layer is not None:
            return self.layer_id(layer)
        return _node_id(self.values[index])

    # ------------------------------------------------------------ collapsed

    def layer_id(self, layer: str) -> str:
        return "layer_" + "".join(ch if ch.isalnum() else "_" for ch in layer)

    def layer_title(self, layer: str) -> str:
        kind = self.g.layer_types.get(layer, "")
        return f"{layer}: {kind}" if layer else kind or "params"

    def write_collapsed(self) -> None:
        members: dict[str, list[Value]] = {}
        for value in self.values:
            layer = self.g.layers.get(value.index)
            if layer is None:
                self.lines.append("  " + self.node_line(value))
            else:
                members.setdefault(layer, []).append(value)
        for layer, group in members.items():
            self.lines.append("  " + self.layer_line(layer, group))
        merged: dict[tuple[str, str, int], list[Edge]] = {}
        for edge in self.trace.edges:
            src, dst = self.drawn_id(edge.source), self.drawn_id(edge.target)
            if src == dst:
                continue  # inside one layer
            merged.setdefault((src, dst, edge.source), []).append(edge)
        for (src, dst, source), edges in merged.items():
            self.lines.append("  " + self.edge_line(source, edges[0].target, edges, src, dst))

    def layer_line(self, layer: str, group: list[Value]) -> str:
        ops = [v for v in group if v.kind == "op"]
        last = ops[-1] if ops else group[-1]
        parts = [_font(self.layer_title(layer), bold=True, size=12)]
        parts.append(_font("out " + self.fmt(last.data), GREEN))
        if last.grad is not None:
            parts.append(_font("grad " + self.grad_text(last.grad), RED))
        for value in group:
            if value.kind == "input":
                short = value.name.rpartition(".")[2]
                text = f"{short} {shape_text(value.data.shape)}"
                if value.grad is not None:
                    text += f"  grad norm {number(norm(value.grad), 3)}"
                parts.append(_font(text, size=10))
        style = dict(_NODE_STYLE["layer"])
        if last.index == self.trace.output:
            style["peripheries"] = "2"
        style["label"] = "<" + "<br/>".join(parts) + ">"
        style["tooltip"] = "\n".join(self.tooltip(v) for v in group)
        return f"{self.layer_id(layer)} {_attributes(style)};"
