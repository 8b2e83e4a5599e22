"""Data: datasets and mini-batches, splits, the playground's data sets and features.

Reading order:

- ``dataset.py``: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``;
- ``loader.py``: ``DataLoader``, mini-batches shuffled each epoch;
- ``split.py``: ``train_test_split``, ``train_val_test_split`` (stratified if asked);
- ``synthetic.py``: the playground's generators (``circle xor gauss spiral reg_plane
  reg_gauss``) and ``spirals``, ``blobs`` with k classes, by name in ``GENERATORS``;
- ``features.py``: the playground's input features (``x1 x2 x1sq x2sq x1x2 sinx1
  sinx2``), ``feature_map``;
- ``preprocessing.py``: ``Standardizer``;
- ``real.py``: scikit-learn's shipped sets (``digits iris wine breast_cancer``);
- ``csvfile.py``: ``load_csv``, ``save_csv``;
- ``load.py``: ``load_dataset(name)`` for all of the above.

Example::

    >>> import chainrule as cr
    >>> from chainrule.data import DataLoader, TensorDataset, load_dataset, train_test_split
    >>> X, y, info = load_dataset("spiral", noise=0.1, seed=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, seed=0)
    >>> loader = DataLoader(TensorDataset(X_train, y_train), batch_size=10, shuffle=True)
    >>> for xb, yb in loader:
    ...     pass  # xb: Tensor (10, 2) float32, yb: Tensor (10,) int64
"""

from __future__ import annotations

from chainrule.data.csvfile import load_csv, save_csv
from chainrule.data.dataset import Dataset, Subset, TensorDataset, random_split
from chainrule.data.features import FEATURES, Feature, feature_key, feature_labels, feature_map
from chainrule.data.info import DatasetInfo
from chainrule.data.load import dataset_names, load_dataset
from chainrule.data.loader import DataLoader, default_collate
from chainrule.data.preprocessing import Standardizer, standardize
from chainrule.data.real import (
    REAL_DATASETS,
    RealDataset,
    load_breast_cancer,
    load_digits,
    load_iris,
    load_real,
    load_wine,
)
from chainrule.data.split import train_test_split, train_val_test_split
from chainrule.data.synthetic import (
    CLASSIFICATION,
    GENERATORS,
    REGRESSION,
    DataGenerator,
    blobs,
    circle,
    gauss,
    get_generator,
    reg_gauss,
    reg_plane,
    spiral,
    spirals,
    xor,
)

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "DataLoader",
    "default_collate",
    "train_test_split",
    "train_val_test_split",
    "circle",
    "xor",
    "gauss",
    "spiral",
    "reg_plane",
    "reg_gauss",
    "spirals",
    "blobs",
    "DataGenerator",
    "GENERATORS",
    "get_generator",
    "CLASSIFICATION",
    "REGRESSION",
    "Feature",
    "FEATURES",
    "feature_map",
    "feature_key",
    "feature_labels",
    "Standardizer",
    "standardize",
    "load_digits",
    "load_iris",
    "load_wine",
    "load_breast_cancer",
    "load_real",
    "RealDataset",
    "REAL_DATASETS",
    "load_csv",
    "save_csv",
    "DatasetInfo",
    "load_dataset",
    "dataset_names",
]
