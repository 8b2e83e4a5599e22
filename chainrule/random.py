"""The random number generator behind every random op in chainrule.

``manual_seed(s)`` makes ``rand``, ``randn``, the initializers, dropout and data
shuffling repeat exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "default_generator", "seed_from"]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed chainrule's generator; returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed() takes a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator that random ops use when they are not given one."""
    return _generator


def seed_from(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A generator from a seed, a generator, or None (chainrule's own)."""
    if seed is None:
        return _generator
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
