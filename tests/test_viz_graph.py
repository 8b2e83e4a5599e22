"""``chainrule.viz.graph``: values and gradients on the drawing, DOT, JSON, SVG, layers."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.viz import graph, parse_expression

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def neuron_graph() -> object:
    result = parse_expression("1/(1+exp(-(w0*x0+w1*x1+w2)))").evaluate(
        {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    )
    return graph(result.output, result.inputs)


def test_sigmoid_neuron_graph_has_the_slide_numbers() -> None:
    data = neuron_graph().to_dict()
    nodes = {n["name"]: n for n in data["nodes"] if n["kind"] == "input"}
    slide = {
        "w0": (2, -0.20),
        "x0": (-1, 0.39),
        "w1": (-3, -0.39),
        "x1": (-2, -0.59),
        "w2": (-3, 0.20),
    }
    for name, (value, grad) in slide.items():
        assert nodes[name]["value"] == value
        assert round(nodes[name]["grad"], 2) == grad
    ops = [
        (n["op"], round(n["value"], 2), round(n["grad"], 2))
        for n in data["nodes"]
        if n["kind"] == "op"
    ]
    assert ops == [
        ("Mul", -2.0, 0.2),
        ("Mul", 6.0, 0.2),
        ("Add", 4.0, 0.2),
        ("Add", 1.0, 0.2),
        ("Neg", -1.0, -0.2),
        ("Exp", 0.37, -0.53),
        ("Add", 1.37, -0.53),
        ("Div", 0.73, 1.0),
    ]
    assert data["has_gradients"] and data["output"] == data["nodes"][-1]["id"]
    # Every edge carries the share of the gradient flowing back along it.
    shares = {(e["source"], e["target"]): e["grad"] for e in data["edges"]}
    w0 = next(n["id"] for n in data["nodes"] if n["name"] == "w0")
    first_mul = next(n["id"] for n in data["nodes"] if n["op"] == "Mul")
    assert round(shares[(w0, first_mul)], 2) == -0.20


def test_dot_shows_values_in_green_and_gradients_in_red() -> None:
    dot = neuron_graph().to_dot()
    assert dot.startswith("digraph chainrule {")
    assert '<font color="#1b7a2f">0.7311</font>' in dot  # the output's value
    assert '<font color="#c62828">-0.5344</font>' in dot  # the gradient into exp's wire
    for op in ("Mul", "Add", "Neg", "Exp", "Div"):
        assert f"<b>{op}</b>" in dot


@needs_dot
def test_svg_is_well_formed_and_names_every_op(tmp_path: Path) -> None:
    drawing = neuron_graph()
    svg = drawing.svg()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for op in ("Mul", "Add", "Neg", "Exp", "Div", "w0", "x1"):
        assert op in texts
    assert "0.7311" in texts and "-0.1966" in texts
    path = drawing.save(tmp_path / "neuron.svg")
    ET.parse(path)
    png = drawing.save(tmp_path / "neuron.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    html = drawing._repr_html_()
    assert "<svg" in html and "<details>" in html


def test_save_dot_and_json_without_graphviz(tmp_path: Path) -> None:
    drawing = neuron_graph()
    assert "digraph" in drawing.save(tmp_path / "g.dot").read_text()
    loaded = json.loads(drawing.save(tmp_path / "g.json").read_text())
    assert len(loaded["nodes"]) == 15
    with pytest.raises(ValueError, match="extension"):
        drawing.save(tmp_path / "g.txt")


def test_missing_dot_program_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    graphviz = pytest.importorskip("graphviz")

    def no_dot(*args: object, **kwargs: object) -> bytes:
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Source, "pipe", no_dot)
    drawing = neuron_graph()
    with pytest.raises(RuntimeError, match="install Graphviz"):
        drawing.svg()
    assert drawing._repr_svg_() is None
    assert "digraph" in drawing._repr_html_()  # falls back to the DOT text


def test_arrays_are_summarized_and_big_arrays_in_json() -> None:
    cr.manual_seed(0)
    x = cr.randn(300, 2, requires_grad=True)
    drawing = graph((x.tanh() * 2).sum(), {"x": x})
    dot = drawing.to_dot()
    assert "(300, 2) min" in dot and "norm" in dot
    node = next(n for n in drawing.to_dict()["nodes"] if n["name"] == "x")
    assert set(node["value"]) == {"shape", "min", "mean", "max", "first"}
    small = graph((x[:2] * 3).sum(), {"x": x}).to_dict()
    piece = next(n for n in small["nodes"] if n["op"] == "GetItem")
    assert len(piece["value"]) == 2 and len(piece["value"][0]) == 2


def test_non_scalar_output_without_grad_output_shows_values_only() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    data = graph(x * 2).to_dict()
    assert not data["has_gradients"]
    assert all(n["grad"] is None for n in data["nodes"])
    with_grads = graph(x * 2, grad_output=[1.0, 1.0]).to_dict()
    assert with_grads["nodes"][0]["grad"] == [2.0, 2.0]


def test_freed_graph_is_reported() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        graph(y)


def test_a_network_collapses_to_one_node_per_layer() -> None:
    nn = pytest.importorskip("chainrule.nn")
    functional = pytest.importorskip("chainrule.nn.functional")
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.LeakyReLU(), nn.Linear(8, 3)
    )
    x, y = cr.randn(16, 2), cr.randint(0, 3, (16,))
    loss = functional.cross_entropy(model(x), y)
    drawing = graph(loss, model, names={"x": x})
    assert drawing.collapse
    assert set(drawing.layers.values()) == {"0", "2", "4"}
    assert drawing.layer_types["0"] == "Linear → Tanh"
    assert drawing.layer_types["2"] == "Linear → LeakyReLU"
    layers = {layer["name"]: layer for layer in drawing.to_dict()["layers"]}
    assert [n for n in layers] == ["0", "2", "4"]
    dot = drawing.to_dot()
    assert dot.count("box3d") == 3 and "<b>0.weight</b>" not in dot  # inside the layer
    assert "weight (8, 2)" in dot and ">x (16, 2)<" in dot
    expanded = drawing.expanded().to_dot()
    assert expanded.count("subgraph cluster_") == 3 and "<b>0.weight</b>" in expanded
    # The loss is not part of the last layer.
    loss_node = next(
        n for n in drawing.to_dict()["nodes"] if n["id"] == f"v{len(drawing.trace.values) - 1}"
    )
    assert loss_node["layer"] is None
    # Parameter gradients agree with backward().
    loss.backward(retain_graph=True)
    weight = next(v for v in drawing.trace.values if v.name == "0.weight")
    np.testing.assert_allclose(weight.grad, model[0].weight.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_mse_loss_ops_stay_outside_the_layers() -> None:
    nn = pytest.importorskip("chainrule.nn")
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    loss = nn.MSELoss()(model(cr.randn(8, 2)), cr.randn(8, 1))
    drawing = graph(loss, model, collapse=False)
    outside = [
        v.op for v in drawing.trace.values if v.kind == "op" and v.index not in drawing.layers
    ]
    assert outside and "Linear" not in outside and "Relu" not in outside
    assert "subgraph cluster_" in drawing.to_dot()
