"""A multilayer perceptron described by a few numbers, so that a model file can rebuild it.

``MLPSpec`` holds what ``chainrule train`` decides about a network (input size, hidden
sizes, activation, output size, the problem and its loss, the class names and the
feature standardization) and turns it into an ``nn.Sequential``::

    Linear(in, h1), act, Linear(h1, h2), act, ..., Linear(h_last, out)

whose ``state_dict`` keys (``0.weight``, ``0.bias``, ``2.weight``, ...) are those of
the same ``torch.nn.Sequential``. The spec is stored as JSON in the model file's
metadata under ``chainrule.mlp``, beside the weights::

    >>> spec = MLPSpec(input_size=2, hidden_sizes=[8, 8], activation="tanh",
    ...                output_size=2, problem="classification", loss="cross_entropy")
    >>> model = spec.build()
    >>> save_model("model.safetensors", model, spec)
    >>> model, spec, metadata = load_model("model.safetensors")
"""

from __future__ import annotations

import json
import os
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

import numpy as np

from chainrule.serialization import CheckpointError, read_safetensors, save

__all__ = ["MLPSpec", "save_model", "load_model", "MLP_KEY"]

MLP_KEY = "chainrule.mlp"
PROBLEMS = ("classification", "regression")


@dataclass
class MLPSpec:
    """Everything needed to rebuild a trained MLP and feed it data.

    Attributes:
        input_size: the number of input features.
        hidden_sizes: the width of each hidden layer (empty: a linear model).
        activation: the hidden activation's name in ``chainrule.nn.ACTIVATIONS``.
        output_size: the number of outputs (classes for classification).
        problem: ``"classification"`` or ``"regression"``.
        loss: the loss's name in ``chainrule.nn.LOSSES``.
        class_names: the name of each class index, for classification.
        feature_names: the name of each input column.
        feature_mean, feature_std: the training set's per-column statistics; inputs
            are standardized as ``(x - mean) / std`` before the network (None: not).
    """

    input_size: int
    hidden_sizes: list[int]
    activation: str
    output_size: int
    problem: str
    loss: str
    class_names: list[str] | None = None
    feature_names: list[str] = field(default_factory=list)
    feature_mean: list[float] | None = None
    feature_std: list[float] | None = None

    def build(self) -> Any:
        """A new ``nn.Sequential`` with this architecture (freshly initialized)."""
        from chainrule import nn

        if self.activation not in nn.ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose one of "
                f"{', '.join(sorted(nn.ACTIVATIONS))}"
            )
        return nn.mlp(self.input_size, self.hidden_sizes, self.output_size, self.activation)

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """The inputs as the network saw them in training: ``(X - mean) / std``, float32."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.input_size:
            raise ValueError(
                f"the model takes {self.input_size} input feature(s), but the data has "
                f"shape {X.shape}"
            )
        if self.feature_mean is None or self.feature_std is None:
            return X.astype(np.float32, copy=False)
        mean = np.asarray(self.feature_mean, dtype=np.float64)
        std = np.asarray(self.feature_std, dtype=np.float64)
        return ((X - mean) / std).astype(np.float32)

    def describe(self) -> str:
        """``"2-8-8-2 tanh MLP, classification (cross_entropy)"``."""
        sizes = "-".join(str(s) for s in [self.input_size, *self.hidden_sizes, self.output_size])
        return f"{sizes} {self.activation} MLP, {self.problem} ({self.loss})"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> MLPSpec:
        """The spec from ``to_json``'s text; a clear error for anything else."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"the model description is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise ValueError("the model description is not a JSON object")
        names = {f.name for f in fields(cls)}
        required = {
            f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
        }
        missing = required - set(data)
        if missing:
            raise ValueError(f"the model description lacks {sorted(missing)}")
        spec = cls(**{k: v for k, v in data.items() if k in names})
        if spec.problem not in PROBLEMS:
            raise ValueError(f"unknown problem {spec.problem!r} in the model description")
        return spec


def save_model(
    path: str | os.PathLike[str],
    model: Any,
    spec: MLPSpec,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write the weights and, in the metadata, the spec (atomically, in safetensors)."""
    header = dict(metadata or {})
    header[MLP_KEY] = spec.to_json()
    save(model.state_dict(), path, metadata=header)


def load_model(path: str | os.PathLike[str]) -> tuple[Any, MLPSpec, dict[str, str]]:
    """Rebuild the model saved by ``save_model``: ``(model, spec, metadata)``.

    Raises:
        CheckpointError: the file is not a model file written by ``chainrule train``
            (no ``chainrule.mlp`` metadata), or its weights do not fit the spec.
    """
    arrays, metadata = read_safetensors(path)
    name = os.fspath(path)
    if MLP_KEY not in metadata:
        raise CheckpointError(
            f"{name!r} has no architecture in its metadata (key {MLP_KEY!r}); it was not "
            "written by `chainrule train`, so load its weights into your own model with "
            "chainrule.serialization.load"
        )
    try:
        spec = MLPSpec.from_json(metadata[MLP_KEY])
        model = spec.build()
        model.load_state_dict(arrays)
    except (ValueError, TypeError, RuntimeError, KeyError) as error:
        raise CheckpointError(f"{name!r}: cannot rebuild the model: {error}") from None
    return model, spec, metadata
