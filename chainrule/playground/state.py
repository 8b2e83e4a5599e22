"""The playground's settings: one declarative table, checked and serialized in one place.

Every setting a user can change is a row of ``SETTINGS``: its name (also its key in the
page's URL), its kind (which says how a value is checked and written to the URL), its
default, its allowed values, and its *effect*, what changing it does to a running
experiment:

- ``"data"``: the data set is generated again, and the network reset;
- ``"reset"``: the network is built again with fresh weights;
- ``"live"``: applied to the running training, weights kept (learning rate, optimizer,
  regularization, batch size, dropout);
- ``"view"``: only the page's drawing changes.

A value from the page goes through ``check_changes`` (type, range, size, including the
server's ``Limits``) before anything uses it; a URL query goes through ``from_query``,
which keeps every valid setting and reports the others. ``to_query`` writes the whole
state, seed included, so a link reproduces the experiment.

Example::

    >>> settings, problems = from_query("dataset=xor&networkShape=3&learningRate=0.1")
    >>> settings["dataset"], settings["networkShape"], settings["activation"], problems
    ('xor', [3], ['tanh'], [])
    >>> "learningRate=0.1" in to_query(settings)
    True
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from chainrule import data

__all__ = [
    "Limits",
    "Setting",
    "SettingError",
    "SETTINGS",
    "BY_NAME",
    "FEATURE_NAMES",
    "ACTIVATION_NAMES",
    "LEARNING_RATES",
    "REGULARIZATION_RATES",
    "defaults",
    "check_changes",
    "normalize",
    "from_query",
    "to_query",
    "describe",
]


class SettingError(ValueError):
    """A setting's value is not allowed; ``name`` says which setting."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class Limits:
    """What one session may ask of the server; raisable by ``chainrule playground``'s
    options (``--max-layers`` ...). The page shows them; the server enforces them.

    Attributes:
        max_layers: hidden layers in the network.
        max_neurons: neurons in one hidden layer.
        max_points: data points in one session (uploaded, clicked or generated).
        max_sessions: websocket sessions open at once in one server process.
        max_message_bytes: the largest message the page may send (a CSV upload is one).
        cpu_share: the fraction of one CPU core a training session may use at most
            (it trains in short slices and sleeps in between; 1.0 = no pause).
    """

    max_layers: int = 6
    max_neurons: int = 8
    max_points: int = 2000
    max_sessions: int = 40
    max_message_bytes: int = 256 * 1024
    cpu_share: float = 0.5

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            low = 0.01 if name == "cpu_share" else 1
            high = 1.0 if name == "cpu_share" else float("inf")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"Limits.{name} must be a number, got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"Limits.{name} must be between {low} and {high}, got {value!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------ choices

# Input features, in the order the network diagram lists them: URL name -> label.
# (chainrule.data.FEATURES computes them; see network.py.)
FEATURE_NAMES: dict[str, str] = {
    "x1": "X₁",
    "x2": "X₂",
    "x1sq": "X₁²",
    "x2sq": "X₂²",
    "x1x2": "X₁X₂",
    "sinx1": "sin(X₁)",
    "sinx2": "sin(X₂)",
}

ACTIVATION_NAMES: dict[str, str] = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "linear": "Linear",
}

# Data sets, by their names in chainrule.data.GENERATORS: the original four with two
# classes, ``spirals`` and ``blobs`` with 3 to 5 classes, and the two regression ones.
CLASSIFICATION_DATASETS = tuple(
    name for name, g in data.GENERATORS.items() if g.problem == data.CLASSIFICATION
)
REGRESSION_DATASETS = tuple(
    name for name, g in data.GENERATORS.items() if g.problem == data.REGRESSION
)

# The steps the page's menus offer (any value in range is accepted from a message).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DROPOUT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)

MAX_SEED = 2**31 - 1
_MAX_TEXT = 64  # longest string accepted for one choice


# ------------------------------------------------------------------------- kinds
#
# A kind is a pair of functions: check(setting, value, limits) -> the clean value
# (raising SettingError), and parse(text) -> a JSON-like value from the URL, written
# back by show(value).


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_choice(setting: Setting, value: Any, limits: Limits) -> Any:
    if not isinstance(value, str) or value not in setting.choices:
        allowed = ", ".join(map(str, setting.choices))
        raise SettingError(setting.name, f"must be one of {allowed}; got {_short(value)}")
    return value


def _check_bool(setting: Setting, value: Any, limits: Limits) -> Any:
    if not isinstance(value, bool):
        raise SettingError(setting.name, f"must be true or false; got {_short(value)}")
    return value


def _check_int(setting: Setting, value: Any, limits: Limits) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise SettingError(setting.name, f"must be a whole number; got {_short(value)}")
    low, high = setting.bounds(limits)
    if not low <= value <= high:
        raise SettingError(setting.name, f"must be between {low:g} and {high:g}; got {value}")
    return value


def _check_float(setting: Setting, value: Any, limits: Limits) -> Any:
    if not _is_number(value) or not math.isfinite(value):
        raise SettingError(setting.name, f"must be a finite number; got {_short(value)}")
    low, high = setting.bounds(limits)
    if not low <= value <= high:
        raise SettingError(setting.name, f"must be between {low:g} and {high:g}; got {value:g}")
    return float(value)


def _check_shape(setting: Setting, value: Any, limits: Limits) -> Any:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in value
    ):
        raise SettingError(
            setting.name,
            f"must be a list of whole numbers (neurons per layer); got {_short(value)}",
        )
    if len(value) > limits.max_layers:
        raise SettingError(
            setting.name,
            f"at most {limits.max_layers} hidden layers on this server; got {len(value)}",
        )
    for n in value:
        if not 1 <= n <= limits.max_neurons:
            raise SettingError(
                setting.name,
                f"each layer needs 1 to {limits.max_neurons} neurons on this server; got {n}",
            )
    return list(value)


def _check_subset(setting: Setting, value: Any, limits: Limits) -> Any:
    if not isinstance(value, list) or len(value) > len(setting.choices):
        raise SettingError(setting.name, f"must be a list of names; got {_short(value)}")
    for item in value:
        if not isinstance(item, str) or item not in setting.choices:
            allowed = ", ".join(setting.choices)
            raise SettingError(setting.name, f"unknown name {_short(item)}; allowed: {allowed}")
    if not value:
        raise SettingError(setting.name, "select at least one input feature")
    # Keep the table's order and drop repeats, so equal sets give equal URLs.
    return [name for name in setting.choices if name in value]


def _check_per_layer(setting: Setting, value: Any, limits: Limits) -> Any:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not 1 <= len(value) <= max(limits.max_layers, 1):
        raise SettingError(
            setting.name, f"must be a name or a list of names, one per layer; got {_short(value)}"
        )
    for item in value:
        if not isinstance(item, str) or item not in setting.choices:
            allowed = ", ".join(setting.choices)
            raise SettingError(setting.name, f"unknown name {_short(item)}; allowed: {allowed}")
    return list(value)


def _parse_scalar(text: str) -> Any:
    """A URL value as the JSON value the page would send: number, bool or string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in lowered else number


def _parse_list(text: str) -> Any:
    return [_parse_scalar(part) for part in text.split(",") if part.strip() != ""]


def _show_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _show_list(value: Any) -> str:
    return ",".join(_show_scalar(v) for v in value)


def _show_per_layer(value: Any) -> str:
    # One name stands for every layer: activation=relu.
    return value[0] if value and all(v == value[0] for v in value) else _show_list(value)


@dataclass(frozen=True)
class Kind:
    check: Callable[[Setting, Any, Limits], Any]
    parse: Callable[[str], Any]
    show: Callable[[Any], str]


KINDS: dict[str, Kind] = {
    "choice": Kind(_check_choice, str, str),
    "bool": Kind(_check_bool, _parse_scalar, _show_scalar),
    "int": Kind(_check_int, _parse_scalar, _show_scalar),
    "float": Kind(_check_float, _parse_scalar, _show_scalar),
    "shape": Kind(_check_shape, _parse_list, _show_list),
    "subset": Kind(_check_subset, _parse_list, _show_list),
    "per_layer": Kind(_check_per_layer, _parse_list, _show_per_layer),
}


@dataclass(frozen=True)
class Setting:
    """One row of the settings table.

    Attributes:
        name: the key in the state, in messages and in the URL query.
        kind: a key of ``KINDS``: how values are checked and written.
        default: the value of a new session.
        effect: ``"data"``, ``"reset"``, ``"live"`` or ``"view"`` (see the module doc).
        label: what the page calls it.
        choices: allowed names (choice, subset, per_layer kinds).
        low, high: the allowed range (int and float kinds); a string names a ``Limits``
            field, so that the server's options move the bound.
        steps: the values the page's menu offers (float kinds).
    """

    name: str
    kind: str
    default: Any
    effect: str
    label: str
    choices: tuple[str, ...] = ()
    low: float | str = 0
    high: float | str = 0
    steps: tuple[float, ...] = field(default=())

    def bounds(self, limits: Limits) -> tuple[float, float]:
        """(low, high), with names of ``Limits`` fields looked up."""

        def resolve(bound: float | str) -> float:
            return float(getattr(limits, bound)) if isinstance(bound, str) else bound

        return resolve(self.low), resolve(self.high)

    def check(self, value: Any, limits: Limits) -> Any:
        """The clean value, or SettingError naming this setting."""
        return KINDS[self.kind].check(self, value, limits)


# fmt: off
SETTINGS: tuple[Setting, ...] = (
    # name, kind, default, effect, label, then the allowed values.
    # Data.
    Setting("problem", "choice", "classification", "data", "Problem type",
            choices=("classification", "regression")),
    Setting("dataset", "choice", "circle", "data", "Data set (classification)",
            choices=CLASSIFICATION_DATASETS),
    Setting("regDataset", "choice", "reg_plane", "data", "Data set (regression)",
            choices=REGRESSION_DATASETS),
    Setting("classes", "int", 3, "data", "Classes (multi-class data sets)", low=3, high=5),
    Setting("percTrainData", "int", 50, "data", "Ratio of training to test data (%)",
            low=10, high=90),
    Setting("noise", "int", 0, "data", "Noise", low=0, high=50),
    Setting("seed", "int", 1, "data", "Random seed", low=0, high=MAX_SEED),
    # Network: a change builds it again.
    Setting("features", "subset", ["x1", "x2"], "reset", "Input features",
            choices=tuple(FEATURE_NAMES)),
    Setting("networkShape", "shape", [4, 2], "reset", "Neurons per hidden layer"),
    Setting("activation", "per_layer", ["tanh", "tanh"], "reset", "Activation (per layer)",
            choices=tuple(ACTIVATION_NAMES)),
    # Training: applied live.
    Setting("learningRate", "float", 0.03, "live", "Learning rate",
            low=0.00001, high=10.0, steps=LEARNING_RATES),
    Setting("optimizer", "choice", "sgd", "live", "Optimizer",
            choices=("sgd", "momentum", "adam")),
    Setting("batchSize", "int", 10, "live", "Batch size", low=1, high=30),
    Setting("regularization", "choice", "none", "live", "Regularization",
            choices=("none", "L1", "L2")),
    Setting("regularizationRate", "float", 0.0, "live", "Regularization rate",
            low=0.0, high=10.0, steps=REGULARIZATION_RATES),
    Setting("dropout", "float", 0.0, "live", "Dropout (hidden layers)",
            low=0.0, high=0.9, steps=DROPOUT_RATES),
    # Drawing only.
    Setting("showTestData", "bool", False, "view", "Show test data"),
    Setting("discretize", "bool", False, "view", "Discretize output"),
)
# fmt: on

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _short(value: Any, width: int = 40) -> str:
    """A value for an error message, cut short (it may come from a hostile page)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def defaults() -> dict[str, Any]:
    """A fresh copy of every setting's default value."""
    return {
        s.name: (list(s.default) if isinstance(s.default, list) else s.default) for s in SETTINGS
    }


def normalize(settings: dict[str, Any]) -> dict[str, Any]:
    """Make the settings agree with each other, in place; returns them.

    One activation per hidden layer: a single name stands for all layers, a layer that
    was added takes the activation of the layer before it, a removed layer drops its own.
    """
    shape, acts = settings["networkShape"], settings["activation"]
    # One name stands for every layer; a list is padded with its last name.
    acts = acts * len(shape) if len(acts) == 1 else acts + [acts[-1]] * (len(shape) - len(acts))
    # With no hidden layer, one name is kept: the activation a new layer will get.
    settings["activation"] = acts[: max(len(shape), 1)]
    return settings


def check_changes(
    current: Mapping[str, Any], changes: Any, limits: Limits
) -> tuple[dict[str, Any], set[str]]:
    """Check a message's changes against the table and the limits.

    Args:
        current: the session's settings now.
        changes: what the page sent: a dict from setting names to new values.
        limits: the server's limits.

    Returns:
        (the new settings, the set of effects the change has: a subset of
        {"data", "reset", "live", "view"}; empty when nothing changed).

    Raises:
        SettingError: for an unknown name or a bad value; nothing is changed then.
    """
    if not isinstance(changes, dict):
        raise SettingError("settings", f"must be an object of name: value; got {_short(changes)}")
    new = {name: (list(v) if isinstance(v, list) else v) for name, v in current.items()}
    for name, value in changes.items():
        setting = BY_NAME.get(name) if isinstance(name, str) else None
        if setting is None:
            raise SettingError(_short(name, 30), "unknown setting")
        new[name] = setting.check(value, limits)
    normalize(new)
    effects = {s.effect for s in SETTINGS if new[s.name] != current.get(s.name)}
    return new, effects


def from_query(query: str, limits: Limits | None = None) -> tuple[dict[str, Any], list[str]]:
    """Settings from a URL query string: every valid key is used, defaults fill the rest.

    Returns:
        (settings, problems): one human-readable line for each key that was unknown or
        invalid (and so left at its default).
    """
    limits = limits or Limits()
    settings = defaults()
    problems: list[str] = []
    for name, text in urllib.parse.parse_qsl(query[:8192], keep_blank_values=True):
        setting = BY_NAME.get(name)
        if setting is None:
            problems.append(f"{_short(name, 30)}: unknown setting in the URL, ignored")
            continue
        try:
            settings[name] = setting.check(KINDS[setting.kind].parse(text), limits)
        except SettingError as error:
            problems.append(f"{error} (from the URL; the default is used)")
    return normalize(settings), problems


def to_query(settings: Mapping[str, Any]) -> str:
    """The URL query that reproduces ``settings`` (every setting, in table order)."""
    parts = [(s.name, KINDS[s.kind].show(settings[s.name])) for s in SETTINGS]
    return urllib.parse.urlencode(parts, safe=",")


def describe(limits: Limits) -> list[dict[str, Any]]:
    """The table as JSON for the page: names, kinds, defaults, ranges, menu steps."""
    rows = []
    for s in SETTINGS:
        row: dict[str, Any] = {
            "name": s.name,
            "kind": s.kind,
            "default": s.default,
            "effect": s.effect,
            "label": s.label,
        }
        if s.choices:
            row["choices"] = list(s.choices)
        if s.kind in ("int", "float"):
            row["low"], row["high"] = s.bounds(limits)
        if s.steps:
            row["steps"] = list(s.steps)
        rows.append(row)
    return rows
