"""scikit-learn estimators built on chainrule: ``MLPClassifier`` and ``MLPRegressor``.

They follow scikit-learn's ``sklearn.neural_network`` estimators (same parameter names
and defaults where they make sense, same fitted attributes, ``fit``, ``partial_fit``,
``predict``, ``predict_proba``, ``score``), but the network is a chainrule
``nn.Sequential`` trained by chainrule's autograd and optimizers, so:

- ``activation`` is any name in ``chainrule.nn.ACTIVATIONS`` (``"relu"``, ``"tanh"``,
  ``"gelu"``, ``"silu"``, ...; scikit-learn's ``"logistic"`` means ``"sigmoid"``);
- ``solver`` is any of chainrule's optimizers: ``"adam"``, ``"sgd"``, ``"adamw"``,
  ``"rmsprop"``, ``"adagrad"`` (no ``"lbfgs"``);
- the trained network is ``model_``, an ``nn.Module`` to use, save or inspect
  (``model_.state_dict()`` has PyTorch's keys).

They pass ``sklearn.utils.estimator_checks.check_estimator``, so they work in
``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and the rest.

The objective, as in scikit-learn, for a mini-batch of n samples:

    classifier: L = -(1/n) sum_i log softmax(f(x_i))[y_i]  + alpha/(2n) sum_W ||W||^2
    regressor:  L = (1/(2n)) sum_i ||f(x_i) - y_i||^2     + alpha/(2n) sum_W ||W||^2

(the penalty is on the weights, not the biases; ``loss_curve_`` reports the
regressor's data term divided by the number of outputs k, as scikit-learn does).
Training stops after ``max_iter`` epochs, or when for more than ``n_iter_no_change``
epochs in a row the training loss did not fall by ``tol`` (or, with
``early_stopping``, the accuracy or R^2 on a held-out ``validation_fraction`` did not
rise by ``tol``; the best weights seen are then kept).

Computation is in float32 when ``X`` is float32, otherwise float64 (as scikit-learn).
The weights start Glorot-uniform, the biases zero, drawn from ``random_state``.

Example::

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from chainrule.sklearn import MLPClassifier
    >>> clf = make_pipeline(StandardScaler(), MLPClassifier((64,), activation="gelu",
    ...                                                     max_iter=50, random_state=0))
    >>> clf.fit(X_train, y_train).score(X_test, y_test)
    0.97
"""

from __future__ import annotations

import copy
import sys
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

import chainrule as cr
from chainrule import nn
from chainrule.nn import init
from chainrule.optim import l2_penalty
from chainrule.search.mlp import OPTIMIZERS, make_optimizer
from chainrule.train import ArrayBatches

__all__ = ["MLPClassifier", "MLPRegressor"]

# scikit-learn's activation names that chainrule spells differently
ACTIVATION_ALIASES = {"logistic": "sigmoid"}


def _activation_name(name: Any) -> str:
    key = ACTIVATION_ALIASES.get(name, name)
    if not isinstance(key, str) or key not in nn.ACTIVATIONS:
        allowed = sorted([*nn.ACTIVATIONS, *ACTIVATION_ALIASES])
        raise ValueError(f"activation={name!r} is not supported; choose one of {allowed}")
    return key


def _check_params(estimator: BaseMLP) -> None:
    """Validate the hyperparameters at fit time (scikit-learn keeps __init__ plain)."""
    sizes = estimator.hidden_layer_sizes
    sizes = [sizes] if isinstance(sizes, (int, np.integer)) else sizes
    try:
        widths = list(sizes)
    except TypeError:
        widths = [None]
    if any(isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 1 for w in widths):
        raise ValueError(
            "hidden_layer_sizes must be a tuple of integers >= 1, got "
            f"{estimator.hidden_layer_sizes!r}"
        )
    _activation_name(estimator.activation)
    if estimator.solver not in OPTIMIZERS:
        raise ValueError(
            f"solver={estimator.solver!r} is not supported; choose one of {sorted(OPTIMIZERS)}"
        )
    rules = {
        "alpha": lambda v: v >= 0,
        "learning_rate_init": lambda v: v > 0,
        "tol": lambda v: v >= 0,
        "momentum": lambda v: 0 <= v <= 1,
        "beta_1": lambda v: 0 <= v < 1,
        "beta_2": lambda v: 0 <= v < 1,
        "epsilon": lambda v: v > 0,
        "validation_fraction": lambda v: 0 < v < 1,
    }
    for name, rule in rules.items():
        value = getattr(estimator, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not rule(value):
            raise ValueError(f"{name}={value!r} is out of range")
    for name in ("max_iter", "n_iter_no_change"):
        value = getattr(estimator, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    batch = estimator.batch_size
    if batch != "auto" and (
        isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1
    ):
        raise ValueError(f"batch_size must be 'auto' or an integer >= 1, got {batch!r}")


class BaseMLP(BaseEstimator):
    """What MLPClassifier and MLPRegressor share: the network, the optimizer, the loop.

    Subclasses define ``_loss``, ``_prepare_targets``, ``_validation_score`` and
    ``_output_size``.
    """

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # -- the network --------------------------------------------------------------

    def _hidden(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        return [int(sizes)] if isinstance(sizes, (int, np.integer)) else [int(s) for s in sizes]

    def _initialize(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        """Build ``model_`` (Glorot-uniform weights, zero biases) and the optimizer."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self._rng = np.random.default_rng(seed)
        activation = _activation_name(self.activation)
        self.model_ = nn.mlp(n_features, self._hidden(), n_outputs, activation, dtype=dtype)
        for layer in self.model_:
            if isinstance(layer, nn.Linear):  # seeded by random_state, as sklearn's
                init.xavier_uniform_(layer.weight, generator=self._rng)
                init.zeros_(layer.bias)
        self.n_layers_ = len(self._hidden()) + 2
        self.n_outputs_ = n_outputs
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        self._optimizer = self._make_optimizer()

    def _make_optimizer(self) -> Any:
        kwargs: dict[str, Any] = {}
        if self.solver in ("adam", "adamw"):
            kwargs.update(betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        momentum = 0.0
        if self.solver == "sgd":  # as scikit-learn: momentum is for sgd only
            momentum = self.momentum
            kwargs["nesterov"] = bool(self.nesterovs_momentum and self.momentum > 0)
        return make_optimizer(
            self.solver, self.model_.parameters(), self.learning_rate_init, momentum, **kwargs
        )

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices as scikit-learn lays them out: layer i is (in_i, out_i)."""
        check_is_fitted(self, "model_")
        return [m.weight.data.T for m in self.model_ if isinstance(m, nn.Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors, layer by layer."""
        check_is_fitted(self, "model_")
        return [m.bias.data for m in self.model_ if isinstance(m, nn.Linear)]

    @property
    def loss_(self) -> float:
        """The training loss of the last epoch."""
        check_is_fitted(self, "model_")
        return self.loss_curve_[-1] if self.loss_curve_ else float("nan")

    # -- training -----------------------------------------------------------------

    def _batch_size(self, n: int) -> int:
        if not isinstance(self.batch_size, (int, np.integer)):  # "auto"
            return min(200, n)
        if self.batch_size > n:
            warnings.warn(
                f"Got `batch_size` less than 1 or larger than sample size. It is going to be "
                f"clipped ({self.batch_size} > {n} samples)",
                stacklevel=3,
            )
        return int(np.clip(self.batch_size, 1, n))

    def _epoch(self, X: np.ndarray, targets: np.ndarray) -> float:
        """One pass over the data in mini-batches; the mean objective (loss + penalty)."""
        model, optimizer = self.model_, self._optimizer
        model.train()
        batches = ArrayBatches(
            X, targets, self._batch_size(len(X)), shuffle=self.shuffle, generator=self._rng
        )
        total = 0.0
        for inputs, batch_targets in batches:
            n = inputs.shape[0]
            optimizer.zero_grad()
            data_loss = self._loss(model(inputs), batch_targets)  # forward
            objective = data_loss
            reported = data_loss.item() * self._reported_scale()
            if self.alpha:
                penalty = l2_penalty(model, self.alpha / n, half=True)  # alpha/(2n) ||W||^2
                objective = objective + penalty
                reported += penalty.item()
            objective.backward()  # backward
            optimizer.step()  # update
            total += reported * n
        self.t_ += len(X)
        return total / len(X)

    def _reported_scale(self) -> float:
        """The data loss as ``loss_curve_`` reports it, relative to the one minimized."""
        return 1.0

    def _fit(self, X: np.ndarray, y: np.ndarray, incremental: bool) -> BaseMLP:
        """``max_iter`` epochs (one for ``partial_fit``), stopping when nothing improves."""
        targets = self._prepare_targets(y)
        if not hasattr(self, "model_") or not (self.warm_start or incremental):
            self._initialize(X.shape[1], self._output_size(targets), X.dtype)
        X = X.astype(self._dtype(), copy=False)
        if targets.dtype.kind == "f":  # regression targets in the network's precision
            targets = targets.astype(self._dtype(), copy=False)
        validation = None
        if self.early_stopping and not incremental:
            X, X_val, targets, targets_val = self._split_validation(X, targets)
            validation = (X_val, targets_val)
        best_state = None
        for _ in range(1 if incremental else self.max_iter):
            loss = self._epoch(X, targets)
            self.n_iter_ += 1
            self.loss_curve_.append(loss)
            self._say(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if validation is None:
                self._track_loss(loss)
            elif self._track_score(self._validation_score(*validation)):
                best_state = copy.deepcopy(self.model_.state_dict())
            if incremental:
                break
            if self._no_improvement_count > self.n_iter_no_change:
                self._say(
                    f"Training stopped: no improvement of {self.tol} for more than "
                    f"{self.n_iter_no_change} epochs."
                )
                break
        else:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if best_state is not None:  # early stopping keeps the best weights seen
            self.model_.load_state_dict(best_state)
        return self

    def _say(self, text: str) -> None:
        if self.verbose:
            print(text, file=sys.stdout)

    def _track_loss(self, loss: float) -> None:
        """Count epochs in a row whose loss did not fall by ``tol`` below the best."""
        if self.best_loss_ is None:  # early stopping watches the score instead
            return
        improved = loss <= self.best_loss_ - self.tol
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        self.best_loss_ = min(self.best_loss_, loss)

    def _track_score(self, score: float) -> bool:
        """Count epochs whose validation score did not rise by ``tol``; True for a new best."""
        best = self.best_validation_score_
        assert self.validation_scores_ is not None and best is not None  # set by _initialize
        self.validation_scores_.append(score)
        improved = score >= best + self.tol
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        if score > best:
            self.best_validation_score_ = score
            return True
        return False

    def _split_validation(
        self, X: np.ndarray, targets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        stratify = targets if isinstance(self, ClassifierMixin) else None
        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        try:
            X_train, X_val, y_train, y_val = train_test_split(
                X,
                targets,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=stratify,
            )
        except ValueError as error:
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction={self.validation_fraction}"
                f" of {len(X)} samples: {error}"
            ) from None
        return X_train, X_val, y_train, y_val

    def _dtype(self) -> np.dtype:
        return np.dtype(self.model_[0].weight.dtype)

    def _forward(self, X: Any) -> np.ndarray:
        """The network's outputs for X (validated against the fitted feature count)."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        X = X.astype(self._dtype(), copy=False)
        self.model_.eval()
        with cr.no_grad():
            return self.model_(cr.tensor(X)).data

    # -- what subclasses define ---------------------------------------------------

    def _loss(self, outputs: cr.Tensor, targets: cr.Tensor) -> cr.Tensor:
        raise NotImplementedError

    def _prepare_targets(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _output_size(self, targets: np.ndarray) -> int:
        raise NotImplementedError

    def _validation_score(self, X: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multilayer perceptron classifier: softmax over one logit per class, cross-entropy.

        p(class k | x) = softmax(f(x))_k,   f = Linear -> act -> ... -> Linear

    Args:
        hidden_layer_sizes: the width of each hidden layer, e.g. ``(64, 32)``.
        activation: the hidden activation, any name in ``chainrule.nn.ACTIVATIONS``
            (or "logistic" for sigmoid).
        solver: the optimizer: "adam" (default), "sgd", "adamw", "rmsprop", "adagrad".
        alpha: L2 penalty strength: ``alpha/(2n) * sum ||W||^2`` per batch of n.
        batch_size: samples per step; "auto" is min(200, n_samples).
        learning_rate_init: the optimizer's learning rate.
        max_iter: epochs at most (``partial_fit`` does one epoch per call).
        shuffle: reshuffle the samples every epoch.
        random_state: seeds the initial weights, the batch order and the validation
            split (an int gives the same model every fit).
        tol, n_iter_no_change: stop when the loss (or the validation score) has not
            improved by ``tol`` for more than ``n_iter_no_change`` epochs.
        verbose: print the loss of every epoch.
        warm_start: ``fit`` continues from the current weights.
        momentum, nesterovs_momentum: for ``solver="sgd"``.
        early_stopping, validation_fraction: hold out this fraction (stratified) and
            stop on its accuracy; the best weights are kept.
        beta_1, beta_2, epsilon: for "adam" and "adamw".

    Attributes:
        classes_: the class labels, sorted.
        model_: the trained chainrule ``nn.Sequential`` (it outputs logits).
        coefs_, intercepts_: its weights as scikit-learn lays them out.
        loss_, loss_curve_, best_loss_, validation_scores_, best_validation_score_,
        n_iter_, t_, n_layers_, n_outputs_, n_features_in_, feature_names_in_: as in
        scikit-learn.

    Example::

        >>> from chainrule.sklearn import MLPClassifier
        >>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=100, random_state=0)
        >>> clf.fit(X, y).predict_proba(X[:2]).shape
        (2, 10)
    """

    out_activation_ = "softmax"

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``X`` (n, features) and labels ``y`` (n,) for up to ``max_iter`` epochs."""
        _check_params(self)
        continuing = self.warm_start and hasattr(self, "model_")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=not continuing)
        check_classification_targets(y)
        if not continuing:
            self.classes_ = np.unique(y)
        self._fit(X, y, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over ``X, y``; the first call needs ``classes`` (every label there will be).

        Args:
            classes: all the class labels, required on the first call (as in
                scikit-learn), optional after (it must then match ``classes_``).
        """
        _check_params(self)
        first = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(np.asarray(classes))
        elif classes is not None and not np.array_equal(self.classes_, np.unique(classes)):
            raise ValueError(
                f"`classes={np.unique(classes)!r}` is not the same as on the first call to "
                f"partial_fit, which was {self.classes_!r}"
            )
        self._fit(X, y, incremental=True)
        return self

    def _prepare_targets(self, y: np.ndarray) -> np.ndarray:
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown.tolist()} that are not in classes {self.classes_.tolist()}"
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _output_size(self, targets: np.ndarray) -> int:
        return len(self.classes_)

    def _loss(self, outputs: cr.Tensor, targets: cr.Tensor) -> cr.Tensor:
        return nn.functional.cross_entropy(outputs, targets)

    def _validation_score(self, X: np.ndarray, targets: np.ndarray) -> float:
        self.model_.eval()
        with cr.no_grad():
            logits = self.model_(cr.tensor(X)).data
        return float((logits.argmax(axis=1) == targets).mean())

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class, shape (n, n_classes), rows summing to 1."""
        logits = self._forward(X)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of ``predict_proba``, computed stably (log-softmax of the logits)."""
        logits = self._forward(X)
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each row of X."""
        logits = self._forward(X)  # checks that the model is fitted
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False  # one label per sample (softmax)
        tags.non_deterministic = self.random_state is None
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multilayer perceptron regressor: identity output, half mean squared error.

        y_hat = f(x),   L = (1/(2n)) sum_i ||y_hat_i - y_i||^2 (+ the L2 penalty)

    Takes one target (y of shape (n,)) or several (n, k). The arguments and
    attributes are those of ``MLPClassifier`` (no ``classes_``); ``early_stopping``
    watches R^2 on the held-out part.

    Example::

        >>> from chainrule.sklearn import MLPRegressor
        >>> reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", random_state=0)
        >>> reg.fit(X, y).score(X, y)
        0.98
    """

    out_activation_ = "identity"

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on ``X`` (n, features) and targets ``y`` (n,) or (n, k)."""
        _check_params(self)
        continuing = self.warm_start and hasattr(self, "model_")
        X, y = validate_data(
            self,
            X,
            y,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
            reset=not continuing,
        )
        self._fit(X, y, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over ``X, y``, starting from the current weights (or new ones)."""
        _check_params(self)
        first = not hasattr(self, "model_")
        X, y = validate_data(
            self,
            X,
            y,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
            reset=first,
        )
        self._fit(X, y, incremental=True)
        return self

    def _prepare_targets(self, y: np.ndarray) -> np.ndarray:
        targets = np.asarray(y, dtype=np.float64)
        return targets.reshape(-1, 1) if targets.ndim == 1 else targets

    def _output_size(self, targets: np.ndarray) -> int:
        return int(targets.shape[1])

    def _fit(self, X: np.ndarray, y: np.ndarray, incremental: bool) -> MLPRegressor:
        columns = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        continuing = hasattr(self, "model_") and (self.warm_start or incremental)
        if continuing and columns != self.n_outputs_:
            raise ValueError(f"y has {columns} target column(s), the model has {self.n_outputs_}")
        super()._fit(X, y, incremental)
        return self

    def _loss(self, outputs: cr.Tensor, targets: cr.Tensor) -> cr.Tensor:
        # (1/2n) sum_i ||y_hat_i - y_i||^2: scikit-learn's gradient (summed over outputs)
        return 0.5 * ((outputs - targets) ** 2).sum(dim=1).mean()

    def _reported_scale(self) -> float:
        # scikit-learn reports the loss averaged over the k outputs too
        return 1.0 / self.n_outputs_

    def _validation_score(self, X: np.ndarray, targets: np.ndarray) -> float:
        from sklearn.metrics import r2_score

        self.model_.eval()
        with cr.no_grad():
            outputs = self.model_(cr.tensor(X)).data
        return float(r2_score(targets, outputs))

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets, shape (n,) for one target, (n, k) for k."""
        outputs = self._forward(X)
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y may have several columns
        tags.non_deterministic = self.random_state is None
        return tags
