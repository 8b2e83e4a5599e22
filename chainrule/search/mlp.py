"""A ready ``train_fn``: an MLP on a named data set, scored on a validation split.

``MLPTrainFn(dataset="digits", epochs=10)`` is what ``chainrule search`` runs, and an
example of a train_fn to copy. For a configuration and a seed it:

1. loads the data set (once per process) and splits it, stratified for classes, into
   a training part and a validation part (``val_size``), the same split for every
   trial (``split_seed``); standardizes the features with the training part's mean
   and standard deviation;
2. seeds chainrule with the trial's seed (initial weights, batch order) and builds
   ``Linear -> activation -> ... -> Linear``;
3. trains with ``chainrule.train.fit`` (cross-entropy for classes, squared error for
   regression, an L2 penalty on the weights if ``l2 > 0``);
4. returns the loss and the accuracy (or R^2) on both parts:
   ``{"val_accuracy", "train_accuracy", "val_loss", "train_loss"}``.

The configuration's keys, each optional (``CONFIG_KEYS``):

===========  ================================================  ===================
key          meaning                                           default
===========  ================================================  ===========================
hidden       hidden widths: an int or a list, ``[]`` for none  64
activation   a name in ``chainrule.nn.ACTIVATIONS``             "relu"
optimizer    a name in ``OPTIMIZERS``                           "adam"
lr           learning rate                                     the optimizer's default
momentum     for sgd and rmsprop                               0.0
batch_size   samples per step                                  32
l2           L2 penalty strength on the weights (not biases)   0.0
epochs       passes over the training part                     ``MLPTrainFn.epochs``
===========  ================================================  ===================

Example::

    >>> from chainrule.search import MLPTrainFn, grid_search
    >>> train_fn = MLPTrainFn("digits", epochs=5)
    >>> result = grid_search({"hidden": [32, 64], "lr": [1e-3, 1e-2]}, train_fn)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.optim.registry import TAKES_MOMENTUM

__all__ = ["MLPTrainFn", "CONFIG_KEYS", "OPTIMIZERS", "make_optimizer", "hidden_sizes"]

# optimizer name (a key of chainrule.optim.OPTIMIZERS) -> the learning rate it gets
# when the configuration names none
DEFAULT_LR: dict[str, float] = {
    "sgd": 0.01,
    "adam": 0.001,
    "adamw": 0.001,
    "rmsprop": 0.01,
    "adagrad": 0.01,
}
OPTIMIZERS = DEFAULT_LR  # the names the search and the estimators accept

# key -> default (None: decided elsewhere, see the table in the module docstring)
CONFIG_KEYS: dict[str, Any] = {
    "hidden": 64,
    "activation": "relu",
    "optimizer": "adam",
    "lr": None,
    "momentum": 0.0,
    "batch_size": 32,
    "l2": 0.0,
    "epochs": None,
}


def make_optimizer(
    name: str, params: Any, lr: float | None = None, momentum: float = 0.0, **kwargs: Any
) -> Any:
    """A chainrule optimizer by name (see ``OPTIMIZERS``); ``lr=None`` takes its default.

    Example::

        >>> make_optimizer("sgd", model.parameters(), lr=0.1, momentum=0.9)
    """
    from chainrule import optim

    default_lr = DEFAULT_LR.get(name, 0.0)  # an unknown name is reported by get_optimizer
    return optim.get_optimizer(
        name, params, lr=default_lr if lr is None else lr, momentum=momentum, **kwargs
    )


def hidden_sizes(value: Any) -> list[int]:
    """Hidden widths from an int, a list/tuple of ints, or None/0/[] (no hidden layer)."""
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    sizes = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)) or item < 0:
            raise ValueError(f"hidden must be layer widths (integers >= 1), got {value!r}")
        sizes.append(int(item))
    return [] if sizes == [0] else sizes


# Per process: data sets already loaded and split, by MLPTrainFn settings.
_DATA_CACHE: dict[tuple[Any, ...], tuple[Any, ...]] = {}


@dataclass
class MLPTrainFn:
    """``train_fn(config, seed)`` training an MLP on ``dataset`` (see the module docstring).

    Args:
        dataset: a name for ``chainrule.data.load_dataset`` (a generator such as
            "spiral", a shipped set such as "digits", or a CSV path).
        epochs: passes over the training part (a config's "epochs" overrides it).
        val_size: the fraction held out for validation.
        split_seed: the seed of the split (and of a generated data set).
        n: use (or generate) this many samples (None: the data set's default).
        noise: a generated data set's noise.

    Picklable (a dataclass of plain values), so it runs in processes and on Ray.
    """

    dataset: str = "digits"
    epochs: int = 10
    val_size: float = 0.2
    split_seed: int = 0
    n: int | None = None
    noise: float = 0.0

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The configuration with its defaults filled in; a ValueError names a bad key/value."""
        from chainrule.nn import ACTIVATIONS

        unknown = [key for key in config if key not in CONFIG_KEYS]
        if unknown:
            raise ValueError(
                f"unknown hyperparameter(s) {unknown} for an MLP; the keys are "
                f"{', '.join(CONFIG_KEYS)}"
            )
        options = {**CONFIG_KEYS, **config}
        options["hidden"] = hidden_sizes(options["hidden"])
        if options["activation"] not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {options['activation']!r}; choose one of "
                f"{', '.join(sorted(ACTIVATIONS))}"
            )
        if options["optimizer"] not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {options['optimizer']!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        if options["momentum"] and options["optimizer"] not in TAKES_MOMENTUM:
            raise ValueError(f"optimizer {options['optimizer']!r} takes no momentum")
        if options["epochs"] is None:
            options["epochs"] = self.epochs
        for key in ("batch_size", "epochs"):
            value = options[key]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{key} must be an integer >= 1, got {value!r}")
        for key in ("lr", "momentum", "l2"):
            value = options[key]
            if value is None and key == "lr":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{key} must be a number >= 0, got {value!r}")
        return options

    def data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
        """``X_train, y_train, X_val, y_val, info``, standardized; loaded once per process."""
        key = (self.dataset, self.n, self.noise, self.split_seed, self.val_size)
        if key not in _DATA_CACHE:
            from chainrule.data import Standardizer, load_dataset, train_test_split

            X, y, info = load_dataset(
                self.dataset, n=self.n, noise=self.noise, seed=self.split_seed
            )
            stratify = y if info.problem == "classification" else None
            X_train, X_val, y_train, y_val = train_test_split(
                X, y, test_size=self.val_size, stratify=stratify, seed=self.split_seed
            )
            scaler = Standardizer().fit(X_train)
            X_train = scaler.transform(X_train).astype(np.float32)
            X_val = scaler.transform(X_val).astype(np.float32)
            if info.problem == "regression":  # one output column
                y_train = y_train.reshape(-1, 1).astype(np.float32)
                y_val = y_val.reshape(-1, 1).astype(np.float32)
            _DATA_CACHE[key] = (X_train, y_train, X_val, y_val, info)
        return _DATA_CACHE[key]

    def metric(self) -> str:
        """The score to rank trials by: "val_accuracy" for classes, "val_r2" for regression."""
        return f"val_{self._metric_name(self.data()[4])}"

    @staticmethod
    def _metric_name(info: Any) -> str:
        return "accuracy" if info.problem == "classification" else "r2"

    def build(self, options: Mapping[str, Any], n_in: int, n_out: int) -> Any:
        """``Linear(n_in, h1), act, ..., Linear(h_last, n_out)`` as an ``nn.Sequential``."""
        from chainrule import nn

        return nn.mlp(n_in, options["hidden"], n_out, options["activation"])

    def __call__(self, config: dict[str, Any], seed: int) -> dict[str, float]:
        import chainrule as cr
        from chainrule import nn
        from chainrule.train import evaluate, fit

        options = self.check(config)
        X_train, y_train, X_val, y_val, info = self.data()
        classes = info.problem == "classification"
        n_out = int(info.num_classes) if classes else 1
        cr.manual_seed(seed)  # the initial weights
        model = self.build(options, X_train.shape[1], n_out)
        loss = nn.CrossEntropyLoss() if classes else nn.MSELoss()
        optimizer = make_optimizer(
            options["optimizer"], model.parameters(), options["lr"], options["momentum"]
        )
        fit(
            model,
            loss,
            optimizer,
            (X_train, y_train),
            epochs=int(options["epochs"]),
            batch_size=int(options["batch_size"]),
            verbose=0,
            seed=seed,  # the batch order
            regularization={"l2": float(options["l2"])} if options["l2"] else None,
        )
        name = self._metric_name(info)
        scores: dict[str, float] = {}
        for part, data in (("val", (X_val, y_val)), ("train", (X_train, y_train))):
            results = evaluate(model, loss, data, [name])
            scores[f"{part}_{name}"] = float(results[name])
            scores[f"{part}_loss"] = float(results["loss"])
        return scores
