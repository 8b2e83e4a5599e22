"""chainrule.sklearn: scikit-learn's estimator checks, pipelines, GridSearchCV, and the
same update as scikit-learn's own MLP from the same weights."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SkMLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from chainrule import nn  # noqa: E402
from chainrule.search import OPTIMIZERS  # noqa: E402
from chainrule.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Small networks and a higher rate than the defaults keep the ~110 checks to seconds.
# No check is skipped or marked as expected to fail.
CHECKED = [
    MLPClassifier((16,), max_iter=100, learning_rate_init=0.01, random_state=0),
    MLPRegressor((16,), max_iter=100, learning_rate_init=0.01, random_state=0),
    MLPClassifier((8, 8), activation="gelu", solver="sgd", max_iter=100, random_state=0),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X[:600], y[:600], test_size=0.25, random_state=0, stratify=y[:600])


def quiet_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def test_pipeline_learns_digits_and_exposes_the_chainrule_model(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier((32,), max_iter=30, learning_rate_init=0.01, random_state=0)
    )
    quiet_fit(pipe, X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.9
    clf = pipe[-1]
    assert isinstance(clf.model_, nn.Module)
    assert list(clf.model_.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [w.shape for w in clf.coefs_] == [(64, 32), (32, 10)]
    assert clf.n_iter_ == len(clf.loss_curve_) == 30 and clf.loss_ == clf.loss_curve_[-1]
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    proba = pipe.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10) and np.allclose(proba.sum(axis=1), 1)
    assert np.allclose(np.exp(pipe.predict_log_proba(X_test)), proba)


def test_grid_search_cv_picks_parameters_of_chainrule_estimators(digits):
    X_train, X_test, y_train, y_test = digits
    search = GridSearchCV(
        make_pipeline(
            StandardScaler(), MLPClassifier(max_iter=15, learning_rate_init=0.01, random_state=0)
        ),
        {
            "mlpclassifier__hidden_layer_sizes": [(4,), (32,)],
            "mlpclassifier__activation": ["tanh", "silu"],
        },
        cv=2,
    )
    quiet_fit(search, X_train, y_train)
    assert search.best_params_["mlpclassifier__hidden_layer_sizes"] == (32,)
    assert len(search.cv_results_["params"]) == 4
    assert search.score(X_test, y_test) > 0.85


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_every_chainrule_optimizer_is_a_solver(solver, digits):
    X_train, X_test, y_train, y_test = digits
    rate = {"sgd": 0.1, "adagrad": 0.1}.get(solver, 0.01)
    clf = make_pipeline(
        StandardScaler(),
        MLPClassifier((16,), solver=solver, learning_rate_init=rate, max_iter=10, random_state=0),
    )
    quiet_fit(clf, X_train, y_train)
    assert clf.score(X_test, y_test) > 0.8


@pytest.mark.parametrize("activation", sorted([*nn.ACTIVATIONS, "logistic"]))
def test_every_chainrule_activation_trains(activation):
    X, y = make_regression(n_samples=80, n_features=3, noise=0.1, random_state=0)
    y = y / y.std()
    reg = MLPRegressor(
        (8,), activation=activation, learning_rate_init=0.02, max_iter=60, random_state=0
    )
    quiet_fit(reg, X, y)
    assert reg.score(X, y) > 0.5


def copy_sklearn_weights(ours, theirs):
    linears = [m for m in ours.model_ if isinstance(m, nn.Linear)]
    for layer, weight, bias in zip(linears, theirs.coefs_, theirs.intercepts_):
        layer.weight.data[...] = weight.T
        layer.bias.data[...] = bias


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_one_epoch_matches_scikit_learns_mlp_from_the_same_weights(kind):
    """Same loss, same L2 convention (alpha/2n ||W||^2), same SGD step: same weights."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    if kind == "classifier":
        y = rng.integers(0, 3, size=40)
        ours_cls, theirs_cls = MLPClassifier, SkMLPClassifier
    else:
        y = rng.normal(size=(40, 2))
        ours_cls, theirs_cls = MLPRegressor, SkMLPRegressor
    settings = dict(
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.1,
        alpha=0.05,
        batch_size=16,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    theirs = quiet_fit(theirs_cls(**settings), X, y)
    ours = quiet_fit(ours_cls(**settings), X, y)
    copy_sklearn_weights(ours, theirs)
    for _ in range(3):
        theirs.partial_fit(X, y)
        ours.partial_fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=1e-10)
    predict = "predict_proba" if kind == "classifier" else "predict"
    np.testing.assert_allclose(getattr(ours, predict)(X), getattr(theirs, predict)(X), rtol=1e-9)


def test_partial_fit_needs_classes_first_and_keeps_learning(digits):
    X_train, _, y_train, _ = digits
    X_train = StandardScaler().fit_transform(X_train)
    clf = MLPClassifier((16,), random_state=0, learning_rate_init=0.01)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X_train, y_train)
    clf.partial_fit(X_train[:100], y_train[:100], classes=np.arange(10))
    for _ in range(5):
        clf.partial_fit(X_train, y_train)
    assert clf.n_iter_ == 6 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X_train, y_train, classes=np.arange(5))


def test_random_state_repeats_and_warm_start_continues(digits):
    X_train, X_test, y_train, _ = digits
    a = quiet_fit(MLPClassifier((8,), max_iter=3, random_state=1), X_train, y_train)
    b = quiet_fit(MLPClassifier((8,), max_iter=3, random_state=1), X_train, y_train)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    c = quiet_fit(MLPClassifier((8,), max_iter=3, random_state=2), X_train, y_train)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])
    a.set_params(warm_start=True)
    quiet_fit(a, X_train, y_train)
    assert a.n_iter_ == 6 and len(a.loss_curve_) == 6


def test_early_stopping_keeps_the_best_validation_weights(digits):
    X_train, _, y_train, _ = digits
    clf = MLPClassifier(
        (32,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    )
    clf.fit(StandardScaler().fit_transform(X_train), y_train)
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.85
    assert clf.best_loss_ is None


def test_float32_input_trains_in_float32_and_pickles(digits):
    X_train, X_test, y_train, _ = digits
    clf = quiet_fit(
        MLPClassifier((8,), max_iter=2, random_state=0), X_train.astype(np.float32), y_train
    )
    assert clf.coefs_[0].dtype == np.float32
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict(X_test), clf.predict(X_test))


@pytest.mark.parametrize(
    "params, words",
    [
        ({"activation": "swishy"}, "activation='swishy' is not supported; choose one of"),
        ({"solver": "lbfgs"}, "solver='lbfgs' is not supported"),
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes must be a tuple of integers >= 1"),
        ({"alpha": -1.0}, "alpha=-1.0 is out of range"),
        ({"batch_size": "big"}, "batch_size must be 'auto' or an integer"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, words):
    clf = MLPClassifier(**params)  # scikit-learn's rule: no checks in __init__
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        clf.fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_regressor_multioutput_and_one_column():
    X, y = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    y = y / y.std(axis=0)
    reg = quiet_fit(MLPRegressor((16,), max_iter=50, learning_rate_init=0.02, random_state=0), X, y)
    assert reg.predict(X).shape == (60, 2) and reg.n_outputs_ == 2
    reg = quiet_fit(MLPRegressor((16,), max_iter=5, random_state=0), X, y[:, 0])
    assert reg.predict(X).shape == (60,)
