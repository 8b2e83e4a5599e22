"""The examples in chainrule.nn's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import chainrule
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.nn import init

MODULES = [
    "chainrule.nn",
    "chainrule.nn.module",
    "chainrule.nn.layers",
    "chainrule.nn.containers",
    "chainrule.nn.activation",
    "chainrule.nn.loss",
    "chainrule.nn.functional",
    "chainrule.nn.init",
    "chainrule.nn.perceptron",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    names = {key: getattr(nn, key) for key in nn.__all__}
    names.update({key: getattr(init, key) for key in init.__all__})
    names.update(cr=chainrule, chainrule=chainrule, nn=nn, F=F, init=init, np=np)
    chainrule.manual_seed(0)
    result = doctest.testmod(
        importlib.import_module(name),
        extraglobs=names,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        report=True,
    )
    assert result.failed == 0
    assert result.attempted > 0
