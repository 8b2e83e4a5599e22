"""``TrainingDiagnostics`` flags dying ReLUs, saturated sigmoids and bad learning rates."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

nn = pytest.importorskip("chainrule.nn")
optim = pytest.importorskip("chainrule.optim")
train = pytest.importorskip("chainrule.train")
from chainrule.data import synthetic  # noqa: E402
from chainrule.viz.diagnostics import TrainingDiagnostics, recording_activations  # noqa: E402


def data() -> tuple[np.ndarray, np.ndarray]:
    return synthetic.circle(200, seed=0)


def run(model: object, optimizer: object, epochs: int, **options: object) -> TrainingDiagnostics:
    diagnostics = TrainingDiagnostics(**options)  # type: ignore[arg-type]
    train.fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        data(),
        epochs=epochs,
        verbose=0,
        seed=0,
        callbacks=[diagnostics],
    )
    return diagnostics


def relu_net() -> object:
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )


def test_a_huge_learning_rate_kills_relus(capsys: pytest.CaptureFixture[str]) -> None:
    model = relu_net()
    diagnostics = run(model, optim.SGD(model.parameters(), lr=5.0), epochs=4)
    assert "3" in diagnostics.flagged("dead")
    assert diagnostics.flagged("update_high")  # the cause: steps as big as the weights
    printed = capsys.readouterr().out
    assert "units are dead" in printed and "LeakyReLU" in printed
    assert "learning rate is probably too high" in printed
    # Each piece of advice is given once per layer, however many epochs repeat it.
    assert len(diagnostics.messages) == len(set(diagnostics.messages))
    # The modules are themselves again after training.
    assert type(model[1]) is nn.ReLU
    assert model(cr.randn(3, 2)).shape == (3, 2)


def test_large_initial_weights_saturate_sigmoids() -> None:
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 2)
    )
    with cr.no_grad():
        for parameter in model.parameters():
            parameter.mul_(20.0)
    diagnostics = run(model, optim.SGD(model.parameters(), lr=0.1), epochs=2, verbose=False)
    assert diagnostics.flagged("saturated") == ["1", "3"]
    assert any("saturated" in m and "Glorot" in m for m in diagnostics.messages)
    assert diagnostics.flagged("dead") == []


def test_a_healthy_network_gets_no_advice() -> None:
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )
    diagnostics = run(model, optim.Adam(model.parameters(), lr=0.01), epochs=3, verbose=False)
    assert diagnostics.messages == []
    norms = diagnostics.gradient_norms()
    assert list(norms) == ["0", "2", "4"] and all(len(v) == 3 for v in norms.values())
    summary = diagnostics.summary()
    assert summary.startswith("epoch 2") and "Tanh" in summary and "ReLU" in summary


def test_measures_every_n_epochs_and_checks_arguments() -> None:
    model = relu_net()
    diagnostics = run(
        model, optim.Adam(model.parameters(), lr=0.01), epochs=4, every=2, verbose=False
    )
    assert sorted({r.epoch for r in diagnostics.records}) == [0, 2]
    with pytest.raises(ValueError, match="every"):
        TrainingDiagnostics(every=0)
    with pytest.raises(ValueError, match="problem must be one of"):
        diagnostics.flagged("sad")


def test_recording_activations_skips_the_output_activation() -> None:
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    with recording_activations(model) as seen:
        model(cr.randn(5, 2))
    assert list(seen) == ["1"]
    kind, out = seen["1"]
    assert kind == "Tanh" and out.shape == (5, 4)
    assert type(model[3]) is nn.Sigmoid and type(model[1]) is nn.Tanh
