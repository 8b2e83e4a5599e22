"""``chainrule train``: train an MLP on a data set, print how well it does, save it.

    chainrule train --dataset spiral --hidden 8,8 --activation tanh --optimizer sgd \\
        --lr 0.03 --epochs 300 --batch-size 10 --l2 0.001 --seed 0 --out model.safetensors

Steps: load or generate the data; split it at random (stratified for classes) into
training, validation and test parts; standardize the features with the training
part's mean and standard deviation; build ``Linear -> activation -> ... -> Linear``;
train with ``chainrule.train.fit`` (progress bar on a terminal, optional early
stopping on the validation loss); print loss and accuracy (or MSE and R^2) on every
part; save the weights in safetensors, with the architecture, the standardization
and the data options in the file's metadata, so that ``chainrule evaluate`` can
rebuild the model and regenerate the same test set.

Classification uses cross-entropy on one logit per class (``--loss mse`` regresses
one-hot targets instead); regression uses one output and squared error.
Bad options give one line, ``chainrule train: error: ...``, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from chainrule.train.cli_common import (
    DATA_KEY,
    RESULTS_KEY,
    UsageError,
    add_data_arguments,
    data_spec_from_args,
    non_negative_float,
    positive_int,
    report_error,
)

# optimizer name (a key of chainrule.optim.OPTIMIZERS) -> its default learning rate here
OPTIMIZERS: dict[str, float] = {
    "sgd": 0.03,
    "adam": 0.001,
    "adamw": 0.001,
    "rmsprop": 0.01,
    "adagrad": 0.01,
}

# loss name (in chainrule.nn.LOSSES) -> the problems it serves
LOSS_PROBLEMS: dict[str, tuple[str, ...]] = {
    "cross_entropy": ("classification",),
    "mse": ("classification", "regression"),
    "l1": ("regression",),
    "huber": ("regression",),
}
DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "mse"}

TRAINING_KEY = "chainrule.training"


def hidden_sizes(text: str) -> list[int]:
    """``"8,8"`` -> ``[8, 8]``; ``""`` or ``"none"`` -> no hidden layer."""
    if text.strip().lower() in ("", "none", "0"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(
            f"expected layer widths as comma-separated integers >= 1, e.g. 8,8; got {text!r}"
        )
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule train``."""
    from chainrule.nn import ACTIVATIONS

    parser.usage = "chainrule train [--dataset NAME | --csv FILE] [options]  (see --help)"
    parser.epilog = (
        "example: chainrule train --dataset spiral --hidden 16,16 --optimizer adam --lr 0.02 "
        "--epochs 200 --out model.safetensors; then: chainrule evaluate model.safetensors"
    )
    add_data_arguments(parser)

    net = parser.add_argument_group("network")
    net.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=[8, 8],
        metavar="SIZES",
        help="hidden layer widths, comma-separated (default 8,8; 'none' for no hidden layer)",
    )
    net.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="tanh",
        metavar="NAME",
        help=f"hidden activation: {', '.join(sorted(ACTIVATIONS))} (default tanh)",
    )
    net.add_argument(
        "--loss",
        choices=sorted(LOSS_PROBLEMS),
        metavar="NAME",
        help="cross_entropy or mse for classes (default cross_entropy); mse, l1 or huber "
        "for regression (default mse)",
    )

    opt = parser.add_argument_group("training")
    opt.add_argument(
        "--optimizer",
        choices=sorted(OPTIMIZERS),
        default="sgd",
        metavar="NAME",
        help=f"{', '.join(sorted(OPTIMIZERS))} (default sgd)",
    )
    opt.add_argument(
        "--lr",
        type=non_negative_float,
        metavar="RATE",
        help="learning rate (default: 0.03 for sgd, 0.001 for adam/adamw, 0.01 otherwise)",
    )
    opt.add_argument(
        "--momentum", type=non_negative_float, metavar="M", help="momentum (sgd, rmsprop)"
    )
    opt.add_argument("--epochs", type=positive_int, default=100, metavar="N", help="default 100")
    opt.add_argument("--batch-size", type=positive_int, default=32, metavar="N", help="default 32")
    opt.add_argument(
        "--l1",
        type=non_negative_float,
        default=0.0,
        metavar="S",
        help="L1 penalty strength on the weights: S * sum |w| (default 0)",
    )
    opt.add_argument(
        "--l2",
        type=non_negative_float,
        default=0.0,
        metavar="S",
        help="L2 penalty strength on the weights: S * sum w^2 (default 0)",
    )
    opt.add_argument(
        "--patience",
        type=positive_int,
        metavar="N",
        help="stop when the validation loss has not improved for N epochs, and keep the "
        "best weights",
    )
    opt.add_argument(
        "--diagnose",
        action="store_true",
        help="check each layer's gradients and activations every epoch and print the "
        "course's advice when one vanishes, explodes, dies or saturates",
    )
    opt.add_argument(
        "--compile",
        action="store_true",
        help="trace the training step once and replay it (chainrule.compile): the same "
        "training, faster for small networks; not with --diagnose",
    )
    opt.add_argument(
        "--no-standardize",
        dest="standardize",
        action="store_false",
        help="feed the features as they are (default: scale to mean 0, std 1)",
    )

    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="FILE", help="save the model here (.safetensors)")
    out.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=1,
        help="0 quiet, 1 a progress bar on a terminal (default), 2 a line per epoch",
    )


def run(args: argparse.Namespace) -> int:
    """Train, report, save; 2 on bad options or data, 0 on success."""
    import chainrule
    from chainrule import nn, optim
    from chainrule.data import Standardizer
    from chainrule.serialization import CheckpointError
    from chainrule.train.cli_common import load_data, prepare_targets, results_table, split_data
    from chainrule.train.mlp import MLPSpec, save_model

    # ---- options and data: any problem here is the user's, reported in one line
    try:
        spec = data_spec_from_args(args)
        optimizer_name = args.optimizer
        default_lr = OPTIMIZERS[optimizer_name]
        if args.momentum and optimizer_name not in optim.TAKES_MOMENTUM:
            allowed = ", ".join(optim.TAKES_MOMENTUM)
            raise UsageError(f"--momentum applies to {allowed}, not to {optimizer_name}")
        if args.patience is not None and spec.val_split == 0:
            raise UsageError("--patience needs a validation set: give --val-split > 0")
        if args.compile and args.diagnose:
            raise UsageError(
                "--diagnose watches every layer's forward pass, which a compiled step does "
                "not run in Python: drop --compile or --diagnose"
            )
        X, y, info = load_data(spec)
        problem = info.problem
        loss_name = args.loss or DEFAULT_LOSS[problem]
        if problem not in LOSS_PROBLEMS[loss_name]:
            fitting = [name for name, problems in LOSS_PROBLEMS.items() if problem in problems]
            raise UsageError(
                f"--loss {loss_name} does not fit {problem}; choose one of {', '.join(fitting)}"
            )
        classification = problem == "classification"
        parts = split_data(X, y, spec, classification)
    except (UsageError, ValueError, TypeError, FileNotFoundError, ModuleNotFoundError) as error:
        return report_error("train", error)

    # ---- the model
    X_train = parts["train"][0]
    scaler = Standardizer().fit(X_train) if args.standardize else None
    output_size = int(info.num_classes) if classification else 1
    mlp = MLPSpec(
        input_size=int(X.shape[1]),
        hidden_sizes=list(args.hidden),
        activation=args.activation,
        output_size=output_size,
        problem=problem,
        loss=loss_name,
        class_names=_class_names(info, output_size) if classification else None,
        feature_names=list(info.feature_names),
        feature_mean=None if scaler is None else [float(v) for v in scaler.mean],
        feature_std=None if scaler is None else [float(v) for v in scaler.std],
    )
    data = {
        name: (mlp.standardize(Xp), prepare_targets(yp, loss_name, output_size))
        for name, (Xp, yp) in parts.items()
    }
    chainrule.manual_seed(spec.seed)
    model = mlp.build()
    loss = nn.get_loss(loss_name)
    lr = default_lr if args.lr is None else args.lr
    optimizer = optim.get_optimizer(
        optimizer_name, model.parameters(), lr=lr, momentum=args.momentum or 0.0
    )
    metrics = ["accuracy"] if classification else (["r2"] if loss_name == "mse" else ["mse", "r2"])

    sizes = {name: len(part[0]) for name, part in parts.items()}
    print(
        f"training a {mlp.describe()} with {_count_parameters(model)} parameters on "
        f"{spec.describe()}: "
        + ", ".join(f"{sizes[name]} {name}" for name in sizes)
        + f" samples; {optimizer_name} lr {lr:g}"
        + (f" momentum {args.momentum:g}" if args.momentum else "")
        + f", batch {args.batch_size}, {args.epochs} epochs",
        flush=True,
    )

    # ---- training
    from chainrule.train import EarlyStopping, evaluate, fit

    callbacks: list[Any] = []
    stopper = None
    if args.patience is not None:
        stopper = EarlyStopping("val_loss", patience=args.patience, restore_best_weights=True)
        callbacks.append(stopper)
    diagnostics = None
    if args.diagnose:
        from chainrule.viz.diagnostics import TrainingDiagnostics

        diagnostics = TrainingDiagnostics()
        callbacks.append(diagnostics)
    regularization = {"l1": args.l1, "l2": args.l2}
    started = time.perf_counter()
    history = fit(
        model,
        loss,
        optimizer,
        data["train"],
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=data.get("validation"),
        metrics=metrics,
        callbacks=callbacks,
        verbose=args.verbose,
        seed=spec.seed,
        regularization=regularization,
        compile=args.compile,
    )
    seconds = time.perf_counter() - started
    epochs_run = len(history)
    print(f"trained {epochs_run} epochs in {seconds:.1f} s", flush=True)
    if stopper is not None and stopper.stopped_epoch is not None:
        print(
            f"stopped early: the validation loss was best at epoch "
            f"{(stopper.best_epoch or 0) + 1} ({stopper.best:.4f}); kept those weights"
        )

    if diagnostics is not None:
        print("diagnostics of the last epoch:")
        print(diagnostics.summary())
        if not diagnostics.messages:
            print("no layer crossed a threshold: no advice")

    results = {name: evaluate(model, loss, part, metrics) for name, part in data.items()}
    print(results_table(results, sizes))

    if args.out:
        training = {
            "optimizer": optimizer_name,
            "lr": lr,
            "momentum": args.momentum or 0.0,
            "epochs": args.epochs,
            "epochs_run": epochs_run,
            "batch_size": args.batch_size,
            "l1": args.l1,
            "l2": args.l2,
            "patience": args.patience,
        }
        metadata = {
            DATA_KEY: spec.to_json(),
            RESULTS_KEY: json.dumps(results),
            TRAINING_KEY: json.dumps(training),
            "chainrule.version": chainrule.__version__,
        }
        try:
            save_model(args.out, model, mlp, metadata)
        except (OSError, CheckpointError) as error:
            print(f"chainrule train: error: cannot save {args.out!r}: {error}", file=sys.stderr)
            return 1
        print(f"saved {args.out}; evaluate it with: chainrule evaluate {args.out}")
    return 0


def _class_names(info: Any, classes: int) -> list[str]:
    names = getattr(info, "class_names", None)
    return [str(name) for name in names] if names else [str(i) for i in range(classes)]


def _count_parameters(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())
