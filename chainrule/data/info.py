"""``DatasetInfo``: what a loaded data set is, for the code that trains on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DatasetInfo"]


@dataclass
class DatasetInfo:
    """A description of a loaded data set, returned beside ``(X, y)``.

    Attributes:
        name: the generator's or shipped set's name, or the CSV file's path.
        problem: ``"classification"`` (y holds int64 class indices) or ``"regression"``
            (y holds float32 targets).
        num_classes: the number of classes, or None for regression.
        n_samples: the number of rows of X.
        n_features: the number of columns of X.
        feature_names: a name per column of X.
        class_names: a name per class index (for a CSV file, the label values as written
            in the file: ``class_names[i]`` is the value that became label ``i``), or None.
        source: ``"synthetic"``, ``"sklearn"`` or ``"csv"``.
        noise: the noise of a synthetic set (None otherwise).

    Example::

        >>> from chainrule.data import load_dataset
        >>> X, y, info = load_dataset("spiral", noise=0.1, seed=0)
        >>> info.problem, info.num_classes, info.feature_names
        ('classification', 2, ['x1', 'x2'])
    """

    name: str
    problem: str
    num_classes: int | None
    n_samples: int
    n_features: int
    feature_names: list[str] = field(default_factory=list)
    class_names: list[str] | None = None
    source: str = "synthetic"
    noise: float | None = None

    @property
    def label_map(self) -> dict[str, int] | None:
        """Each class name -> its label index (for a CSV file: value in the file -> label)."""
        if self.class_names is None:
            return None
        return {name: index for index, name in enumerate(self.class_names)}

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-ready)."""
        return asdict(self)
