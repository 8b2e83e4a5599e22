"""Plots: activations and their derivatives, decision boundaries, training curves,
gradient norms per layer.

matplotlib is an optional dependency (``pip install 'chainrule[plot]'``), imported
only when a plot is made. Figures are built with ``matplotlib.figure.Figure``, which
draws with the Agg backend without touching pyplot's global state, so plotting works
on a server without a display and leaves a Jupyter session's backend alone (a
returned Figure displays itself in Jupyter).

Every function returns the Figure and, given ``out``, saves it: the format comes from
the extension (``.png``, ``.svg`` or ``.pdf``).

Example::

    >>> from chainrule.viz import plot_activations
    >>> fig = plot_activations(out="activations.png")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import chainrule as cr
from chainrule._tensor import Tensor

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "activation_table",
    "activation_curves",
    "plot_activations",
    "plot_decision_boundary",
    "plot_history",
    "plot_gradient_norms",
    "gradient_norms",
    "save_figure",
]

SAVE_FORMATS = ("png", "svg", "pdf")

# The playground's colours: orange for class 0 (its "negative"), blue for class 1.
ORANGE = "#f59322"
BLUE = "#0877bd"
VALUE_COLOR = "#1f5fa8"
DERIVATIVE_COLOR = "#c62828"


def _matplotlib() -> Any:
    """Import matplotlib, with an error that says how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(
            "plots need matplotlib: pip install 'chainrule[plot]' (or pip install matplotlib)"
        ) from None
    return matplotlib


def new_figure(width: float, height: float) -> Figure:
    """A Figure drawn by the Agg backend, independent of pyplot."""
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, out: str | Path, dpi: int = 120) -> Path:
    """Save ``fig`` to ``out``; the extension picks PNG, SVG or PDF."""
    path = Path(out)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in SAVE_FORMATS:
        raise ValueError(f"cannot save a plot as {str(path)!r}: use a .png, .svg or .pdf file name")
    fig.savefig(path, format=suffix, dpi=dpi)
    return path


def _finish(fig: Figure, out: str | Path | None) -> Figure:
    if out is not None:
        save_figure(fig, out)
    return fig


# -------------------------------------------------------------------------------------
# Activations and their derivatives.
# -------------------------------------------------------------------------------------


def activation_table() -> dict[str, Callable[[Tensor], Tensor]]:
    """Activation name -> function of a tensor.

    The functions of ``chainrule.nn.functional`` when it is there, else the core's
    sigmoid, tanh and ReLU.
    """
    try:
        from chainrule.nn import functional as F
    except ImportError:
        return {"sigmoid": Tensor.sigmoid, "tanh": Tensor.tanh, "relu": Tensor.relu}
    slope = cr.tensor([0.25])
    candidates: dict[str, Callable[[Tensor], Tensor] | None] = {
        "identity": getattr(F, "identity", None),
        "sigmoid": F.sigmoid,
        "tanh": F.tanh,
        "relu": F.relu,
        "leaky_relu (slope 0.1)": (lambda x: F.leaky_relu(x, 0.1))
        if hasattr(F, "leaky_relu")
        else None,
        "prelu (a = 0.25)": (lambda x: F.prelu(x, slope.to(x.dtype)))
        if hasattr(F, "prelu")
        else None,
        "elu": getattr(F, "elu", None),
        "softplus": getattr(F, "softplus", None),
        "silu (swish)": getattr(F, "silu", None),
        "hardswish": getattr(F, "hardswish", None),
        "gelu": getattr(F, "gelu", None),
    }
    return {name: f for name, f in candidates.items() if f is not None}


def activation_curves(
    function: Callable[[Tensor], Tensor], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x), the derivative computed by chainrule's autograd.

    The activation acts elementwise, so the gradient of sum(f(x)) with respect to x
    is f'(x) at every point: one backward pass gives the whole curve.
    """
    points = cr.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    values = function(points)
    (slope,) = cr.autograd.grad(values.sum(), points)
    return values.detach().numpy().copy(), slope.numpy().copy()


def plot_activations(
    names: Sequence[str] | None = None,
    x_range: tuple[float, float] = (-5.0, 5.0),
    points: int = 801,
    out: str | Path | None = None,
) -> Figure:
    """Every activation next to its derivative, f(a) and f'(a) on [-5, 5].

    The derivatives come from chainrule's backward pass, not from formulas: the
    picture is also a check of the gradients.

    Args:
        names: which activations (keys of ``activation_table()``); default all.
        x_range: the interval of a shown.
        points: the number of sample points.
        out: a file to save to (.png, .svg, .pdf).

    Returns:
        The Figure: two panels per activation, f (blue) then f' (red).
    """
    table = activation_table()
    chosen = list(table) if names is None else list(names)
    unknown = [name for name in chosen if name not in table]
    if unknown:
        raise ValueError(f"unknown activation(s) {unknown}; choose from {list(table)}")
    if not chosen:
        raise ValueError("plot_activations() needs at least one activation name")
    x = np.linspace(x_range[0], x_range[1], points)
    pairs_per_row = 2
    rows = (len(chosen) + pairs_per_row - 1) // pairs_per_row
    fig = new_figure(12, 2.3 * rows + 0.6)
    grid = fig.subplots(rows, 2 * pairs_per_row, squeeze=False)
    for slot, name in enumerate(chosen):
        value, slope = activation_curves(table[name], x)
        row, column = divmod(slot, pairs_per_row)
        left, right = grid[row][2 * column], grid[row][2 * column + 1]
        _curve(left, x, value, VALUE_COLOR, f"{name}: f(a)")
        _curve(right, x, slope, DERIVATIVE_COLOR, f"{name}: f'(a)")
    for slot in range(len(chosen), rows * pairs_per_row):
        row, column = divmod(slot, pairs_per_row)
        grid[row][2 * column].set_visible(False)
        grid[row][2 * column + 1].set_visible(False)
    fig.suptitle(
        "Activations f(a) and their derivatives f'(a) (computed by chainrule's backward pass)",
        fontsize=13,
    )
    return _finish(fig, out)


def _curve(ax: Axes, x: np.ndarray, y: np.ndarray, color: str, title: str) -> None:
    ax.axhline(0, color="#bbbbbb", linewidth=0.8)
    ax.axvline(0, color="#bbbbbb", linewidth=0.8)
    ax.plot(x, y, color=color, linewidth=2)
    ax.set_title(title, fontsize=10)
    low, high = min(float(np.min(y)), 0.0), max(float(np.max(y)), 0.0)
    pad = max(0.1 * (high - low), 0.1)
    ax.set_ylim(low - pad, high + pad)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.25)


# -------------------------------------------------------------------------------------
# Decision boundaries of 2-D classifiers.
# -------------------------------------------------------------------------------------


def _as_array(data: Any, name: str) -> np.ndarray:
    if isinstance(data, Tensor):
        return data.detach().numpy()
    try:
        return np.asarray(data)
    except Exception:
        raise TypeError(f"{name} must be an array or a tensor, got {type(data).__name__}") from None


def _model_dtype(model: Any) -> np.dtype:
    """The dtype of the model's first parameter (float32 if it has none)."""
    if hasattr(model, "parameters"):
        for parameter in model.parameters():
            return np.dtype(parameter.dtype)
    return np.dtype(np.float32)


def predict_grid(
    model: Callable[[Tensor], Tensor], xx: np.ndarray, yy: np.ndarray, batch: int = 4096
) -> np.ndarray:
    """The model's outputs at every grid point, shaped (rows, cols, outputs)."""
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(_model_dtype(model))
    outputs = []
    with cr.no_grad():
        for start in range(0, len(points), batch):
            result = model(cr.tensor(points[start : start + batch]))
            outputs.append(
                _as_array(result, "the model's output").reshape(
                    len(points[start : start + batch]), -1
                )
            )
    return np.concatenate(outputs).reshape(xx.shape + (-1,))


def plot_decision_boundary(
    model: Callable[[Tensor], Tensor],
    X: Any,
    y: Any,
    ax: Axes | None = None,
    resolution: int = 200,
    margin: float = 0.5,
    title: str | None = None,
    out: str | Path | None = None,
) -> Figure:
    """The regions a 2-D classifier assigns to each class, with the data on top.

    A model with one output is read as binary: a probability if every output lies in
    [0, 1], else a logit (class 1 where it is positive); with two outputs, as two
    logits (or probabilities) per class. The background then shades the probability
    of class 1 (orange for 0, blue for 1, as in the playground) and a line marks the
    boundary. A model with more outputs colours each region by its argmax.

    Args:
        model: a callable from a (n, 2) tensor to (n,), (n, 1) or (n, classes).
        X: the points, shape (n, 2).
        y: their labels, shape (n,).
        ax: draw into these axes instead of a new figure.
        resolution: grid points per axis.
        margin: how far the picture extends beyond the data.
        title: the axes' title.
        out: a file to save to (.png, .svg, .pdf).
    """
    points, labels = _as_array(X, "X"), _as_array(y, "y").reshape(-1)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs X of shape (n, 2), got {points.shape}")
    if len(labels) != len(points):
        raise ValueError(f"X has {len(points)} points but y has {len(labels)} labels")
    if ax is None:
        fig = new_figure(5.5, 5)
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]
    lows, highs = points.min(axis=0) - margin, points.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(lows[0], highs[0], resolution), np.linspace(lows[1], highs[1], resolution)
    )
    outputs = predict_grid(model, xx, yy)
    classes = np.unique(labels.astype(np.int64))
    if outputs.shape[-1] in (1, 2):
        probability = _probability_of_class_1(outputs)
        from matplotlib.colors import LinearSegmentedColormap

        cmap = LinearSegmentedColormap.from_list("playground", [ORANGE, "#ffffff", BLUE])
        ax.contourf(xx, yy, probability, levels=np.linspace(0, 1, 21), cmap=cmap, alpha=0.75)
        ax.contour(xx, yy, probability, levels=[0.5], colors="#333333", linewidths=1.2)
        colors = {0: ORANGE, 1: BLUE}
    else:
        region = outputs.argmax(axis=-1)
        count = outputs.shape[-1]
        palette = _palette(count)
        from matplotlib.colors import ListedColormap

        ax.contourf(
            xx,
            yy,
            region,
            levels=np.arange(count + 1) - 0.5,
            cmap=ListedColormap(palette),
            alpha=0.35,
        )
        ax.contour(xx, yy, region, levels=np.arange(count) + 0.5, colors="#333333", linewidths=0.8)
        colors = dict(enumerate(palette))
    for label in classes:
        chosen = labels == label
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            s=14,
            color=colors.get(int(label), "k"),
            edgecolors="white",
            linewidths=0.5,
            label=f"class {label}",
        )
    ax.set_xlim(lows[0], highs[0])
    ax.set_ylim(lows[1], highs[1])
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    if title:
        ax.set_title(title)
    return _finish(fig, out)


def _probability_of_class_1(outputs: np.ndarray) -> np.ndarray:
    """P(class 1) from one output (a probability or a logit) or two (logits or
    probabilities per class)."""
    if outputs.shape[-1] == 1:
        score = outputs[..., 0]
        if score.min() >= 0 and score.max() <= 1:
            return score
        return 1 / (1 + np.exp(-np.clip(score, -50, 50)))
    is_probability = outputs.min() >= 0 and np.allclose(outputs.sum(axis=-1), 1, atol=1e-4)
    if is_probability:
        return outputs[..., 1]
    difference = np.clip(outputs[..., 1] - outputs[..., 0], -50, 50)  # softmax of two logits
    return 1 / (1 + np.exp(-difference))


def _palette(count: int) -> list[str]:
    base = [ORANGE, BLUE, "#2e7d32", "#8e24aa", "#c62828", "#00838f", "#6d4c41", "#546e7a"]
    return [base[i % len(base)] for i in range(count)]


# -------------------------------------------------------------------------------------
# Training curves.
# -------------------------------------------------------------------------------------


def _history_dict(history: Any) -> dict[str, list[float]]:
    """A ``chainrule.train.History`` or a dict of lists, as a dict of float lists."""
    data = getattr(history, "history", history)
    if not isinstance(data, Mapping):
        raise TypeError(
            "plot_history takes a History (from chainrule.train) or a dict of lists, got "
            f"{type(history).__name__}"
        )
    result = {}
    for key, values in data.items():
        try:
            result[str(key)] = [float(v) for v in values]
        except (TypeError, ValueError):
            continue  # not a numeric series
    return result


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
    out: str | Path | None = None,
) -> Figure:
    """Loss and metric curves per epoch, training against validation.

    Each panel shows one quantity (``loss``, ``accuracy``, ...) for the training set
    and, when logged, for the validation set (``val_loss``). The epoch with the best
    validation loss is marked; when the validation loss then rises while the
    training loss keeps falling, the stretch is shaded as overfitting. Curves that
    stay high together point to underfitting.

    Args:
        history: a ``chainrule.train.History`` or a dict of lists (Keras's layout).
        metrics: which quantities to draw (default: every key without ``val_``
            except ``lr`` and ``epoch``).
        title: the figure's title.
        out: a file to save to (.png, .svg, .pdf).
    """
    data = _history_dict(history)
    if metrics is None:
        metrics = [k for k in data if not k.startswith("val_") and k not in ("lr", "epoch")]
        metrics += [k[4:] for k in data if k.startswith("val_") and k[4:] not in data]
    if not metrics:
        raise ValueError(f"nothing to plot: the history has keys {sorted(data)}")
    missing = [m for m in metrics if m not in data and f"val_{m}" not in data]
    if missing:
        raise ValueError(f"no {missing} in the history; it has {sorted(data)}")
    fig = new_figure(5.2 * len(metrics), 3.8)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for key, style, label in ((metric, "-", "training"), (f"val_{metric}", "--", "validation")):
            if key in data:
                ax.plot(range(1, len(data[key]) + 1), data[key], style, linewidth=2, label=label)
        if metric == "loss" and "val_loss" in data:
            _mark_overfitting(ax, data.get("loss", []), data["val_loss"])
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, out)


def _mark_overfitting(ax: Axes, train: list[float], validation: list[float]) -> None:
    """Mark the best validation epoch, and shade where validation rises after it."""
    values = np.asarray(validation, dtype=np.float64)
    if not np.isfinite(values).any():
        return
    best = int(np.nanargmin(values))
    ax.axvline(best + 1, color="#555555", linewidth=1, linestyle=":")
    late = best + 1 > 0.7 * len(values)  # label to the left, not off the edge
    ax.annotate(
        f"best val epoch {best + 1}",
        (best + 1, values[best]),
        xytext=(-6 if late else 6, 10),
        ha="right" if late else "left",
        textcoords="offset points",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )
    finite = values[np.isfinite(values)]
    recent = float(np.mean(finite[-3:]))  # the last epochs, smoothed a little
    rise = recent - values[best]
    train_values = np.asarray(train, dtype=np.float64)
    train_falls = len(train_values) > best + 1 and train_values[-1] < train_values[best]
    # Overfitting: validation clearly back up (a tenth of its whole drop), training still down.
    if rise > 0.1 * (float(np.max(finite)) - values[best]) and train_falls:
        ax.axvspan(best + 1, len(values), color="#c62828", alpha=0.08)
        ax.text(
            0.98,
            0.95,
            "overfitting: validation loss rises",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="#c62828",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
        )


# -------------------------------------------------------------------------------------
# Gradient norms per layer.
# -------------------------------------------------------------------------------------


def gradient_norms(model: Any, per: str = "layer") -> dict[str, float]:
    """The norms of the gradients after ``backward()``, per layer or per parameter.

    Per layer (the default), the norm of the layer's weight gradient (its parameters
    with two or more axes; all its parameters if it has none), named by the layer's
    name and type (``"0 Linear"``). Per parameter, by the parameter's name
    (``"0.weight"``).
    """
    if per not in ("layer", "parameter"):
        raise ValueError(f"per must be 'layer' or 'parameter', got {per!r}")
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"gradient_norms takes a Module, got {type(model).__name__}")
    found = [(n, p) for n, p in model.named_parameters() if p.grad is not None]
    if not found:
        raise ValueError("no parameter has a gradient: call loss.backward() first")
    if per == "parameter":
        return {name: _norm(p.grad.numpy()) for name, p in found}
    modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
    layers: dict[str, list[Any]] = {}
    for name, parameter in found:
        layers.setdefault(name.rpartition(".")[0], []).append(parameter)
    norms = {}
    for layer, parameters in layers.items():
        weights = [p for p in parameters if p.ndim >= 2] or parameters
        squares = sum(float(np.sum(np.square(p.grad.numpy(), dtype=np.float64))) for p in weights)
        kind = type(modules[layer]).__name__ if layer in modules else ""
        norms[f"{layer} {kind}".strip() or "parameters"] = float(np.sqrt(squares))
    return norms


def _norm(array: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


def plot_gradient_norms(
    source: Any,
    title: str | None = "Gradient norm per layer",
    vanishing: float = 1e-6,
    exploding: float = 1e3,
    per: str = "layer",
    ax: Axes | None = None,
    out: str | Path | None = None,
) -> Figure:
    """A bar per layer of its gradient's norm, on a log scale.

    In a deep network of saturating units the bars shrink towards the first layers:
    the gradient vanishes on its way back. Bars below ``vanishing`` or above
    ``exploding`` are drawn in red.

    Args:
        source: a Module after ``backward()``, a dict name -> norm, or a dict
            name -> list of norms over steps (drawn as lines, e.g.
            ``TrainingDiagnostics.gradient_norms()``).
        title: the axes' title.
        vanishing: the norm under which a gradient counts as vanished.
        exploding: the norm over which it counts as exploding.
        per: ``"layer"`` or ``"parameter"``, for a Module.
        ax: draw into these axes instead of a new figure.
        out: a file to save to (.png, .svg, .pdf).
    """
    norms: Mapping[str, Any] = (
        source if isinstance(source, Mapping) else gradient_norms(source, per)
    )
    if not norms:
        raise ValueError("plot_gradient_norms: no gradients to plot")
    names = list(norms)
    first = norms[names[0]]
    if ax is None:
        fig = new_figure(max(5.0, 0.7 * len(names) + 2), 4)
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]
    if isinstance(first, (list, tuple, np.ndarray)):
        for name in names:
            series = np.asarray(norms[name], dtype=np.float64)
            ax.plot(range(1, len(series) + 1), np.maximum(series, 1e-30), label=name)
        ax.set_xlabel("step")
        ax.legend(fontsize=7, ncols=2)
    else:
        heights = np.array([float(norms[name]) for name in names])
        colors = ["#c62828" if (h < vanishing or h > exploding) else "#1f5fa8" for h in heights]
        ax.bar(range(len(names)), np.maximum(heights, 1e-30), color=colors)
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
        for position, height in enumerate(heights):
            ax.annotate(
                f"{height:.2g}",
                (position, max(height, 1e-30)),
                ha="center",
                va="bottom",
                fontsize=7,
                xytext=(0, 2),
                textcoords="offset points",
            )
    ax.set_yscale("log")
    ax.set_ylabel("gradient norm (log scale)")
    ax.grid(alpha=0.25, axis="y")
    if title:
        ax.set_title(title)
    return _finish(fig, out)
