"""The playground's two-dimensional data sets, and two multi-class ones.

The six generators of tensorflow/playground (``src/dataset.ts``), with the same
shapes, radii and noise conventions, drawn with NumPy in one go instead of a loop:

    classification: circle, xor, gauss, spiral    (points in about [-6, 6]^2)
    regression:     reg_plane, reg_gauss           (points uniform in [-6, 6]^2)

and two with any number of classes: ``spirals`` (k interleaved spiral arms) and
``blobs`` (k Gaussian blobs on a circle).

Conventions, the same for every generator:

- ``X`` is float32 of shape (n, 2): the columns are the playground's x and y, here
  called x1 and x2. Rows come in random order (the playground shuffles too).
- Classification labels ``y`` are int64 of shape (n,). The playground's labels are
  -1/+1; here they are 0/1: **-1 -> 0 and +1 -> 1** (class 1 is the playground's
  orange-blue "positive" class: inside the circle, x1*x2 >= 0 for xor, the blob at
  (2, 2), the spiral arm that starts at angle 0).
- Regression targets ``y`` are float32 of shape (n,): in [-1, 1] for reg_gauss, and
  in about [-1.2, 1.2] for reg_plane (the playground maps x1 + x2 in [-10, 10] to
  [-1, 1] without clipping). Use ``y[:, None]`` for a network with one output unit.
- ``noise`` is the playground's noise slider as a fraction: its 0..50 is 0.0..0.5
  here. Each generator uses it the way the playground does (see each docstring);
  values above 0.5 are allowed and extrapolate.
- ``seed``: an int, a ``numpy.random.Generator``, or None for chainrule's generator,
  so ``chainrule.manual_seed(s)`` makes every data set repeat.
- The default sizes are the playground's: 500 points for classification and 1200
  for regression.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.random import seed_from

__all__ = [
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
]

CLASSIFICATION = "classification"
REGRESSION = "regression"

# The playground's sizes (NUM_SAMPLES_CLASSIFY, NUM_SAMPLES_REGRESS in playground.ts).
N_CLASSIFY = 500
N_REGRESS = 1200

Seed = int | np.random.Generator | None
Data = tuple[np.ndarray, np.ndarray]


# ---------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------


def _check(function: str, n: int, noise: float, classes: int | None = None) -> None:
    """Clear errors for the arguments every generator takes (``classes``: None for
    regression)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{function}(): n must be an int number of points, got {n!r}")
    if classes is not None and (
        isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 2
    ):
        raise ValueError(f"{function}(): classes must be an int of at least 2, got {classes!r}")
    if n < (classes or 1):
        raise ValueError(
            f"{function}(): n={n} points is too few; it needs at least "
            + (f"one per class ({classes})" if classes else "one")
        )
    if not isinstance(noise, (int, float, np.integer, np.floating)) or not (
        math.isfinite(noise) and noise >= 0
    ):
        raise ValueError(
            f"{function}(): noise must be a non-negative number (the playground's 0..50 "
            f"is 0.0..0.5 here), got {noise!r}"
        )


def _class_sizes(n: int, classes: int) -> np.ndarray:
    """Split n points as evenly as possible over the classes (the first get the rest)."""
    return np.array([n // classes + (j < n % classes) for j in range(classes)])


def _finish(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, dtype: Any) -> Data:
    """Shuffle the rows (as the playground does) and set the dtypes."""
    order = rng.permutation(X.shape[0])
    return X[order].astype(np.float32), y[order].astype(dtype)


def _xy(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    return np.stack([x1, x2], axis=1)


# ---------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------


def circle(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None) -> Data:
    """A disc of class 1 inside a ring of class 0 (the playground's ``classifyCircleData``).

    With ``R = 5``: half the points have radius ``r ~ U(0, R/2)``, half ``r ~ U(0.7 R, R)``,
    at angle ``a ~ U(0, 2 pi)``, giving ``x = (r sin a, r cos a)``. The label asks
    whether a jittered copy of the point lies inside the circle of radius ``R/2``:

        y = 1  if  |x + e| < R/2,   e ~ U(-R, R)^2 * noise,   else 0.

    The point itself is not moved, so at noise 0 the classes are separated by the gap
    between radius 2.5 and 3.5, and noise flips labels near that gap.

    Example::

        >>> X, y = circle(500, noise=0.1, seed=0)
        >>> X.shape, X.dtype, y.dtype
        ((500, 2), dtype('float32'), dtype('int64'))
    """
    _check("circle", n, noise, 2)
    rng = seed_from(seed)
    radius = 5.0
    n_outside, n_inside = _class_sizes(n, 2)
    r = np.concatenate(
        [rng.uniform(0, radius * 0.5, n_inside), rng.uniform(radius * 0.7, radius, n_outside)]
    )
    angle = rng.uniform(0, 2 * np.pi, n)
    x1, x2 = r * np.sin(angle), r * np.cos(angle)
    e1, e2 = rng.uniform(-radius, radius, (2, n)) * noise
    y = np.hypot(x1 + e1, x2 + e2) < radius * 0.5
    return _finish(rng, _xy(x1, x2), y, np.int64)


def xor(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None) -> Data:
    """Four quadrants, class 1 where ``x1 * x2 >= 0`` (the playground's ``classifyXORData``).

    Each coordinate is ``u ~ U(-5, 5)`` pushed 0.3 away from zero (``u + 0.3 sign(u)``),
    leaving a gap around the axes. The label is taken at a jittered copy:

        y = 1  if  (x1 + e1) (x2 + e2) >= 0,   e ~ U(-5, 5)^2 * noise,   else 0.

    Example::

        >>> X, y = xor(200, seed=0)
        >>> bool(((X[:, 0] * X[:, 1] >= 0) == (y == 1)).all())
        True
    """
    _check("xor", n, noise, 2)
    rng = seed_from(seed)
    padding = 0.3
    x1, x2 = rng.uniform(-5, 5, (2, n))
    x1 = x1 + np.where(x1 > 0, padding, -padding)
    x2 = x2 + np.where(x2 > 0, padding, -padding)
    e1, e2 = rng.uniform(-5, 5, (2, n)) * noise
    y = (x1 + e1) * (x2 + e2) >= 0
    return _finish(rng, _xy(x1, x2), y, np.int64)


def _blob_variance(noise: float) -> float:
    """The playground's variance for its Gaussians: noise 0..0.5 maps linearly to 0.5..4."""
    return 0.5 + noise * (4.0 - 0.5) / 0.5


def _blobs(function: str, n: int, classes: int, noise: float, seed: Seed) -> Data:
    """``classes`` Gaussian blobs with centres on the circle of radius 2 sqrt(2), class j
    at angle 5 pi / 4 + 2 pi j / classes; for two classes the centres are (-2, -2) and
    (2, 2), the playground's."""
    _check(function, n, noise, classes)
    rng = seed_from(seed)
    angles = 5 * np.pi / 4 + 2 * np.pi * np.arange(classes) / classes
    # Rounded so that the playground's centres (-2, -2) and (2, 2) come out exactly.
    centres = (2 * math.sqrt(2) * np.stack([np.cos(angles), np.sin(angles)], axis=1)).round(12)
    y = np.repeat(np.arange(classes), _class_sizes(n, classes))
    X = centres[y] + math.sqrt(_blob_variance(noise)) * rng.standard_normal((n, 2))
    return _finish(rng, X, y, np.int64)


def gauss(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None) -> Data:
    """Two Gaussian blobs (the playground's ``classifyTwoGaussData``).

    Class 1 around (2, 2), class 0 around (-2, -2), each coordinate normal with variance

        s^2 = 0.5 + 7 * noise      (noise 0..0.5 gives variance 0.5..4).

    Example::

        >>> X, y = gauss(500, noise=0.0, seed=0)
        >>> X[y == 1].mean(axis=0).round()
        array([2., 2.], dtype=float32)
    """
    return _blobs("gauss", n, 2, noise, seed)


def blobs(n: int = N_CLASSIFY, classes: int = 3, noise: float = 0.0, seed: Seed = None) -> Data:
    """``classes`` Gaussian blobs on a circle, labels ``0 .. classes - 1``.

    Class ``j`` is centred at ``2 sqrt(2) (cos a_j, sin a_j)``, ``a_j = 5 pi/4 + 2 pi j / k``,
    with the variance of ``gauss``, ``0.5 + 7 * noise``; ``blobs(n, 2)`` is ``gauss(n)``.

    Example::

        >>> X, y = blobs(300, classes=4, seed=0)
        >>> np.bincount(y).tolist()
        [75, 75, 75, 75]
    """
    return _blobs("blobs", n, classes, noise, seed)


def _spirals(function: str, n: int, classes: int, noise: float, seed: Seed) -> Data:
    """``classes`` spiral arms; class ``j`` turned by ``pi (1 + 2 j / classes)``."""
    _check(function, n, noise, classes)
    rng = seed_from(seed)
    sizes = _class_sizes(n, classes)
    y = np.repeat(np.arange(classes), sizes)
    m = sizes[y]  # the size of each point's class
    i = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # index within its class
    r = i / m * 5
    t = 1.75 * i / m * 2 * np.pi + np.pi * (1 + 2 * y / classes)
    e1, e2 = rng.uniform(-1, 1, (2, n)) * noise
    X = _xy(r * np.sin(t) + e1, r * np.cos(t) + e2)
    return _finish(rng, X, y, np.int64)


def spiral(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None) -> Data:
    """Two interleaved spirals (the playground's ``classifySpiralData``).

    Point ``i`` of the ``m`` in an arm has radius ``r = 5 i / m`` and angle
    ``t = 1.75 * 2 pi i / m + d`` (one and three quarter turns), with ``d = 0`` for
    class 1 and ``d = pi`` for class 0:

        x = (r sin t, r cos t) + U(-1, 1)^2 * noise.

    Here the noise moves the points themselves (by at most ``noise`` in each
    coordinate); the labels stay exact.

    Example::

        >>> X, y = spiral(500, noise=0.0, seed=0)
        >>> float(np.abs(X).max()) <= 5
        True
    """
    return _spirals("spiral", n, 2, noise, seed)


def spirals(n: int = N_CLASSIFY, classes: int = 3, noise: float = 0.0, seed: Seed = None) -> Data:
    """``classes`` interleaved spiral arms, labels ``0 .. classes - 1``.

    As ``spiral``, with arm ``j`` turned by ``d_j = pi (1 + 2 j / k)``; for ``k = 2`` the
    turns are ``pi`` and ``0``, so ``spirals(n, 2)`` is ``spiral(n)``.

    Example::

        >>> X, y = spirals(300, classes=3, seed=0)
        >>> np.bincount(y).tolist()
        [100, 100, 100]
    """
    return _spirals("spirals", n, classes, noise, seed)


# ---------------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------------


def reg_plane(n: int = N_REGRESS, noise: float = 0.0, seed: Seed = None) -> Data:
    """A tilted plane (the playground's ``regressPlane``).

    Points uniform in ``[-6, 6]^2``; the target is the sum of a jittered copy's
    coordinates, scaled from [-10, 10] to [-1, 1]:

        y = ((x1 + e1) + (x2 + e2)) / 10,   e ~ U(-6, 6)^2 * noise.

    Example::

        >>> X, y = reg_plane(100, seed=0)
        >>> bool(np.allclose(y, X.sum(axis=1) / 10, atol=1e-6))
        True
    """
    _check("reg_plane", n, noise)
    rng = seed_from(seed)
    radius = 6.0
    x1, x2 = rng.uniform(-radius, radius, (2, n))
    e1, e2 = rng.uniform(-radius, radius, (2, n)) * noise
    y = ((x1 + e1) + (x2 + e2)) / 10
    return _finish(rng, _xy(x1, x2), y, np.float32)


# The playground's six Gaussian bumps: (centre x1, centre x2, sign).
_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def reg_gauss(n: int = N_REGRESS, noise: float = 0.0, seed: Seed = None) -> Data:
    """Six bumps of alternating sign (the playground's ``regressGaussian``).

    Bump ``b`` at centre ``c_b`` with sign ``s_b`` has height
    ``h_b(x) = s_b * clip(1 - |x - c_b| / 2, 0, 1)`` (a cone of radius 2); the target is
    the bump of largest absolute height at a jittered copy of the point (the first one
    on a tie, 0 far from all of them):

        y = h_b*(x + e),  b* = argmax_b |h_b(x + e)|,   e ~ U(-6, 6)^2 * noise.

    Points are uniform in ``[-6, 6]^2``.

    Example::

        >>> X, y = reg_gauss(1200, seed=0)
        >>> float(y.min()) >= -1 and float(y.max()) <= 1
        True
    """
    _check("reg_gauss", n, noise)
    rng = seed_from(seed)
    radius = 6.0
    x1, x2 = rng.uniform(-radius, radius, (2, n))
    e1, e2 = rng.uniform(-radius, radius, (2, n)) * noise
    distance = np.hypot((x1 + e1)[:, None] - _BUMPS[:, 0], (x2 + e2)[:, None] - _BUMPS[:, 1])
    heights = _BUMPS[:, 2] * np.clip(1 - distance / 2, 0, 1)
    y = heights[np.arange(n), np.abs(heights).argmax(axis=1)]
    return _finish(rng, _xy(x1, x2), y, np.float32)


# ---------------------------------------------------------------------------------
# The table of generators, by name
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataGenerator:
    """A named data generator and what it makes.

    Attributes:
        name: the key in ``GENERATORS``.
        function: ``function(n, noise=..., seed=...)`` (plus ``classes=`` if
            ``multiclass``) returning ``(X, y)``.
        problem: ``"classification"`` or ``"regression"``.
        default_n: the number of points when none is asked for.
        description: one line for menus and ``--help``.
        multiclass: whether it takes ``classes`` (a number of classes, default 3).
    """

    name: str
    function: Callable[..., Data]
    problem: str
    default_n: int
    description: str
    multiclass: bool = False

    def num_classes(self, classes: int | None = None) -> int | None:
        """The number of classes it makes (None for regression)."""
        if self.problem == REGRESSION:
            return None
        return (classes or 3) if self.multiclass else 2

    def __call__(
        self,
        n: int | None = None,
        noise: float = 0.0,
        seed: Seed = None,
        classes: int | None = None,
    ) -> Data:
        """Generate ``(X, y)``; ``n=None`` means ``default_n``."""
        n = self.default_n if n is None else n
        if self.multiclass:
            return self.function(
                n, classes=3 if classes is None else classes, noise=noise, seed=seed
            )
        if classes is not None and classes != 2:
            raise ValueError(
                f"data set {self.name!r} has 2 classes; classes={classes} needs one of "
                f"{[g.name for g in GENERATORS.values() if g.multiclass]}"
            )
        return self.function(n, noise=noise, seed=seed)


GENERATORS: dict[str, DataGenerator] = {
    g.name: g
    for g in [
        DataGenerator("circle", circle, CLASSIFICATION, N_CLASSIFY, "a disc inside a ring"),
        DataGenerator("xor", xor, CLASSIFICATION, N_CLASSIFY, "four quadrants, x1*x2 >= 0"),
        DataGenerator("gauss", gauss, CLASSIFICATION, N_CLASSIFY, "two Gaussian blobs"),
        DataGenerator("spiral", spiral, CLASSIFICATION, N_CLASSIFY, "two interleaved spirals"),
        DataGenerator("reg_plane", reg_plane, REGRESSION, N_REGRESS, "a tilted plane"),
        DataGenerator("reg_gauss", reg_gauss, REGRESSION, N_REGRESS, "six Gaussian bumps"),
        DataGenerator(
            "spirals", spirals, CLASSIFICATION, N_CLASSIFY, "k interleaved spirals", True
        ),
        DataGenerator(
            "blobs", blobs, CLASSIFICATION, N_CLASSIFY, "k Gaussian blobs on a circle", True
        ),
    ]
}


def _normal_name(name: str) -> str:
    """``"Reg-Plane"`` -> ``"reg_plane"`` (the playground writes ``reg-plane``)."""
    return name.strip().lower().replace("-", "_")


def get_generator(name: str) -> DataGenerator:
    """The generator called ``name`` (case and ``-``/``_`` do not matter).

    Example::

        >>> X, y = get_generator("spiral")(n=200, noise=0.1, seed=0)
    """
    if not isinstance(name, str) or _normal_name(name) not in GENERATORS:
        raise ValueError(f"unknown data generator {name!r}; choose one of {', '.join(GENERATORS)}")
    return GENERATORS[_normal_name(name)]
