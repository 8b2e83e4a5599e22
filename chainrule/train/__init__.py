"""Training: the loop, ``fit``, metrics, callbacks and checkpoints.

The explicit loop stays first-class (``train_epoch`` is that loop, written out)::

    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()

``fit`` runs the same loop with validation, metrics, schedules, callbacks, a
progress bar and a ``History``, in one call::

    >>> from chainrule.train import fit, evaluate, EarlyStopping
    >>> history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
    ...               (X, y), epochs=100, validation_split=0.2, metrics=["accuracy"],
    ...               callbacks=[EarlyStopping(patience=10, restore_best_weights=True)])
    >>> evaluate(model, nn.CrossEntropyLoss(), (X_test, y_test), ["accuracy"])

Checkpoints (``save_checkpoint``/``load_checkpoint``) are safetensors files holding
the weights (under PyTorch's names) and the optimizer's state; they are written
atomically and never pickled.

Modules, in reading order: ``loop`` (train_epoch, fit, evaluate, predict),
``metrics``, ``callbacks`` (History, EarlyStopping, ModelCheckpoint, ...),
``progress`` (what ``verbose`` prints), ``checkpoint``, and the ``chainrule train`` /
``chainrule evaluate`` commands (``cli_train``, ``cli_evaluate``, ``mlp``).
"""

from chainrule.train.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)
from chainrule.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from chainrule.train.loop import (
    ArrayBatches,
    compiled_train_step,
    evaluate,
    fit,
    predict,
    train_epoch,
)
from chainrule.train.metrics import (
    METRICS,
    Accuracy,
    BatchAverage,
    ConfusionMatrix,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    R2Score,
    accuracy,
    confusion_matrix,
    get_metric,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
)
from chainrule.train.progress import EpochLogger, ProgressBar

__all__ = [
    "fit",
    "train_epoch",
    "compiled_train_step",
    "evaluate",
    "predict",
    "ArrayBatches",
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "TerminateOnNaN",
    "ProgressBar",
    "EpochLogger",
    "Metric",
    "Accuracy",
    "ConfusionMatrix",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "R2Score",
    "BatchAverage",
    "METRICS",
    "get_metric",
    "accuracy",
    "confusion_matrix",
    "mean_squared_error",
    "mean_absolute_error",
    "r2_score",
    "save_checkpoint",
    "load_checkpoint",
    "Checkpoint",
]
