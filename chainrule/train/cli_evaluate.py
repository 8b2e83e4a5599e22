"""``chainrule evaluate``: rebuild a model saved by ``chainrule train`` and measure it.

    chainrule evaluate model.safetensors                    # the data it was trained on
    chainrule evaluate model.safetensors --split test       # only its test part
    chainrule evaluate model.safetensors --dataset spiral --noise 0.3 --seed 7   # new data

The model file holds the architecture and the feature standardization (``chainrule.mlp``)
and the data options (``chainrule.data``). Without data options, or with the same data
source, the data is regenerated or reloaded with the recorded options, split as in
training, and the table shows train / validation / test, the same numbers that
``chainrule train`` printed. Options typed on the command line replace the recorded
ones; any other data (another data set, another seed, another CSV file) is evaluated
whole, as one row ``all``.
"""

from __future__ import annotations

import argparse
from typing import Any

from chainrule.train.cli_common import (
    DATA_KEY,
    SPLITS,
    DataSpec,
    UsageError,
    add_data_arguments,
    data_spec_from_args,
    positive_int,
    report_error,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule evaluate``."""
    parser.usage = "chainrule evaluate MODEL [--dataset NAME | --csv FILE] [options]  (see --help)"
    parser.epilog = (
        "example: chainrule evaluate model.safetensors --split test; "
        "chainrule evaluate model.safetensors --dataset spiral --noise 0.2 --seed 1"
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by chainrule train")
    add_data_arguments(parser, evaluating=True)
    parser.add_argument(
        "--split",
        choices=[*SPLITS, "all"],
        help="which part to evaluate (default: train, validation and test for the training "
        "data, all of it for other data)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        help="samples per forward pass (default: all at once)",
    )


def run(args: argparse.Namespace) -> int:
    """Load, regenerate the data, print the table; 2 on a bad file or bad options."""
    from chainrule import nn
    from chainrule.train import evaluate
    from chainrule.train.cli_common import load_data, prepare_targets, results_table, split_data
    from chainrule.train.mlp import load_model

    try:
        model, mlp, metadata = load_model(args.model)
        recorded = DataSpec.from_json(metadata[DATA_KEY]) if DATA_KEY in metadata else None
        if recorded is None and args.dataset is None and args.csv is None:
            raise UsageError(
                f"{args.model!r} does not record its data; give --dataset NAME or --csv FILE"
            )
        spec = data_spec_from_args(args, recorded)
        if spec.csv is not None and spec.problem is None:
            spec.problem = mlp.problem
        same_data = recorded is not None and spec == recorded
        split = args.split or ("splits" if same_data else "all")
        if split in SPLITS and not same_data:
            raise UsageError(
                f"--split {split} needs the data the model was trained on; for other data "
                "use --split all"
            )
        X, y, info = load_data(spec)
        if info.problem != mlp.problem:
            raise UsageError(
                f"the model does {mlp.problem} but {spec.describe()} is a {info.problem} data set"
            )
        if mlp.problem == "classification":
            y = _class_indices(y, info, mlp.class_names or [])
        if split == "all":
            parts = {"all": (X, y)}
        else:
            parts = split_data(X, y, spec, mlp.problem == "classification")
            if split in SPLITS:
                if split not in parts:
                    raise UsageError(f"the model was trained without a {split} part")
                parts = {split: parts[split]}
        data = {
            name: (mlp.standardize(Xp), prepare_targets(yp, mlp.loss, mlp.output_size))
            for name, (Xp, yp) in parts.items()
        }
    except (UsageError, ValueError, FileNotFoundError, ModuleNotFoundError) as error:
        return report_error("evaluate", error)

    loss = nn.get_loss(mlp.loss)
    if mlp.problem == "classification":
        metrics = ["accuracy"]
    else:
        metrics = ["r2"] if mlp.loss == "mse" else ["mse", "r2"]
    print(f"{args.model}: {mlp.describe()}; data {spec.describe()}")
    results = {
        name: evaluate(model, loss, part, metrics, batch_size=args.batch_size)
        for name, part in data.items()
    }
    print(results_table(results, {name: len(part[0]) for name, part in data.items()}))
    return 0


def _class_indices(y: Any, info: Any, trained: list[str]) -> Any:
    """The data's labels as the model's class indices.

    Labels are matched by class name when the data names its classes (a CSV file's
    label values may differ in set or order from the training file's); otherwise they
    must already be indices below the model's number of classes.
    """
    import numpy as np

    labels = np.asarray(y)
    names = getattr(info, "class_names", None)
    if names:
        index = {name: i for i, name in enumerate(trained)}
        unknown = [name for name in names if name not in index]
        if unknown:
            raise UsageError(
                f"the data has class(es) {unknown} that the model was not trained on; "
                f"it knows {trained}"
            )
        return np.array([index[name] for name in names], dtype=np.int64)[labels]
    if labels.size and int(labels.max()) >= len(trained):
        raise UsageError(
            f"the data has class {int(labels.max())} but the model knows {len(trained)} classes"
        )
    return labels
