"""The playground's settings table: checking values, effects, and the URL query."""

from __future__ import annotations

import math

import pytest

from chainrule import data
from chainrule.playground.state import (
    BY_NAME,
    FEATURE_NAMES,
    SETTINGS,
    Limits,
    SettingError,
    check_changes,
    defaults,
    describe,
    from_query,
    to_query,
)

LIMITS = Limits()


def test_defaults_are_the_original_playgrounds():
    s = defaults()
    assert s["dataset"] == "circle" and s["problem"] == "classification"
    assert s["networkShape"] == [4, 2] and s["activation"] == ["tanh", "tanh"]
    assert s["learningRate"] == 0.03 and s["batchSize"] == 10
    assert s["percTrainData"] == 50 and s["noise"] == 0
    assert s["features"] == ["x1", "x2"] and s["regularization"] == "none"


def test_every_default_passes_its_own_check():
    for setting in SETTINGS:
        assert setting.check(setting.default, LIMITS) == setting.default


def test_choices_name_real_data_sets_and_features():
    for name in BY_NAME["dataset"].choices + BY_NAME["regDataset"].choices:
        assert name in data.GENERATORS
    assert set(FEATURE_NAMES) == set(data.FEATURES)
    assert {"circle", "xor", "gauss", "spiral", "spirals", "blobs"} <= set(
        BY_NAME["dataset"].choices
    )


def test_query_round_trip_keeps_every_setting():
    s = defaults()
    s.update(
        dataset="spiral",
        seed=1234,
        networkShape=[8, 3, 1],
        activation=["relu", "tanh", "linear"],
        learningRate=0.003,
        regularization="L2",
        regularizationRate=0.1,
        noise=35,
        features=["x1", "sinx2"],
        showTestData=True,
        optimizer="adam",
        dropout=0.2,
    )
    back, problems = from_query(to_query(s))
    assert problems == []
    assert back == s


def test_query_one_activation_stands_for_every_layer():
    s, problems = from_query("networkShape=3,3,3&activation=relu")
    assert problems == [] and s["activation"] == ["relu"] * 3
    assert "activation=relu&" in to_query(s)


def test_query_keeps_valid_keys_and_reports_the_others():
    s, problems = from_query("dataset=xor&noise=99&learningRate=abc&bogus=1&networkShape=2,200")
    assert s["dataset"] == "xor"
    assert s["noise"] == 0 and s["learningRate"] == 0.03 and s["networkShape"] == [4, 2]
    joined = " | ".join(problems)
    assert "noise" in joined and "learningRate" in joined and "bogus" in joined
    assert "networkShape" in joined and len(problems) == 4


def test_query_ignores_absurdly_long_input():
    s, problems = from_query("dataset=" + "x" * 100_000)
    assert s["dataset"] == "circle" and len(problems) == 1 and len(problems[0]) < 200


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"batchSize": True}, "whole number"),
        ({"batchSize": "10"}, "whole number"),
        ({"batchSize": 0}, "between 1 and 30"),
        ({"batchSize": 10.5}, "whole number"),
        ({"learningRate": math.nan}, "finite"),
        ({"learningRate": 100}, "between"),
        ({"learningRate": [0.1]}, "finite"),
        ({"dataset": "moons"}, "one of"),
        ({"dataset": None}, "one of"),
        ({"networkShape": [4, 9]}, "1 to 8 neurons"),
        ({"networkShape": [1] * 7}, "at most 6 hidden layers"),
        ({"networkShape": "4,2"}, "list of whole numbers"),
        ({"networkShape": [True]}, "list of whole numbers"),
        ({"features": []}, "at least one"),
        ({"features": ["x3"]}, "unknown name"),
        ({"features": ["x1"] * 100}, "list of names"),
        ({"activation": ["softsign"]}, "unknown name"),
        ({"activation": []}, "name or a list"),
        ({"showTestData": 1}, "true or false"),
        ({"nope": 1}, "unknown setting"),
        ({1: 1}, "unknown setting"),
    ],
)
def test_check_changes_rejects_bad_values_naming_the_setting(changes, fragment):
    current = defaults()
    with pytest.raises(SettingError) as info:
        check_changes(current, changes, LIMITS)
    assert fragment in str(info.value)
    assert current == defaults()  # nothing changed


def test_check_changes_rejects_non_objects():
    with pytest.raises(SettingError):
        check_changes(defaults(), ["learningRate", 1], LIMITS)


def test_limits_can_be_raised():
    big = Limits(max_layers=10, max_neurons=16)
    new, effects = check_changes(defaults(), {"networkShape": [16] * 10}, big)
    assert new["networkShape"] == [16] * 10 and effects == {"reset"}
    assert new["activation"] == ["tanh"] * 10


@pytest.mark.parametrize(
    "changes, effects",
    [
        ({"learningRate": 0.1}, {"live"}),
        ({"optimizer": "adam", "batchSize": 3}, {"live"}),
        ({"networkShape": [4]}, {"reset"}),
        ({"activation": "relu"}, {"reset"}),
        ({"features": ["x1"]}, {"reset"}),
        ({"noise": 10}, {"data"}),
        ({"discretize": True}, {"view"}),
        ({"learningRate": 0.03}, set()),
    ],
)
def test_effects_say_what_a_change_does(changes, effects):
    assert check_changes(defaults(), changes, LIMITS)[1] == effects


def test_layer_activations_follow_the_shape():
    s = defaults()
    s, _ = check_changes(s, {"activation": ["relu", "sigmoid"]}, LIMITS)
    s, _ = check_changes(s, {"networkShape": [4, 2, 2]}, LIMITS)
    assert s["activation"] == ["relu", "sigmoid", "sigmoid"]  # a new layer copies the last
    s, _ = check_changes(s, {"networkShape": []}, LIMITS)
    assert s["activation"] == ["relu"]  # kept for the next layer added


def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="max_layers"):
        Limits(max_layers=0)
    with pytest.raises(ValueError, match="cpu_share"):
        Limits(cpu_share=2.0)


def test_describe_gives_the_page_the_ranges():
    rows = {row["name"]: row for row in describe(Limits(max_neurons=12))}
    assert rows["batchSize"]["low"] == 1 and rows["batchSize"]["high"] == 30
    assert 0.03 in rows["learningRate"]["steps"]
    assert rows["dataset"]["choices"][0] == "circle"
