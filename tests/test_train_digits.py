"""A real data set: scikit-learn's 8x8 digits, learned by a small MLP through fit()."""

from __future__ import annotations

import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import EarlyStopping, evaluate, fit


def test_an_mlp_reaches_96_percent_on_digits():
    pytest.importorskip("sklearn")
    from chainrule.data import Standardizer, load_digits, train_test_split

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, seed=0)
    scaler = Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    loss = nn.CrossEntropyLoss()
    history = fit(
        model,
        loss,
        optim.Adam(model.parameters(), lr=3e-3),
        (X_train, y_train),
        epochs=30,
        batch_size=32,
        validation_split=0.1,
        metrics=["accuracy"],
        seed=0,
        verbose=0,
        callbacks=[EarlyStopping("val_loss", patience=5, restore_best_weights=True)],
    )
    assert history["accuracy"][-1] > 0.98
    result = evaluate(model, loss, (X_test, y_test), ["accuracy", "confusion_matrix"])
    assert result["accuracy"] >= 0.96
    assert result["confusion_matrix"].shape == (10, 10)
    assert result["confusion_matrix"].sum() == len(y_test)
