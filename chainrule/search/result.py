"""The results of a search: one record per trial, the best one, a table, a plot.

A ``SearchResult`` is a plain list of ``Trial`` records (no pandas), ordered by trial
index whatever order they finished in, with:

- ``best``: the successful trial with the best ``metric`` (``mode`` "max" or "min";
  ties go to the lower index, NaN never wins);
- ``to_csv(path)`` and ``to_markdown()``: one row per trial, the hyperparameters,
  the seed, every score, the duration and the error if any;
- ``plot_validation_curve(name, path)``: train and validation score against one
  hyperparameter (matplotlib, imported only here);
- ``rerun(index, train_fn)``: ``train_fn(config, seed)`` of that trial again.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from chainrule.search.trial import TrainFn, Trial, is_better

__all__ = ["SearchResult", "MODES", "default_metric"]

MODES = ("max", "min")


def default_metric(scores: Iterable[str]) -> str | None:
    """The score to rank by when none is named: the first validation score ("val..."),
    else the first score; None if there is none."""
    names = list(scores)
    return next((n for n in names if n.lower().startswith("val")), names[0] if names else None)


def _cell(value: Any) -> str:
    """A value as CSV text: floats round-trip, None is empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _pretty(value: Any) -> str:
    """A value as table text: floats with 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _markdown_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass
class SearchResult:
    """Every trial of a search, and which is best.

    Attributes:
        trials: one ``Trial`` per configuration, ordered by index.
        metric: the score that ranks trials (a key of the dicts train_fn returns);
            None: ``default_metric`` of the first successful trial's scores.
        mode: "max" (higher is better, e.g. accuracy) or "min" (e.g. a loss).
        seed: the search's seed; trial i got ``trial_seed(seed, i)``.
        kind: "grid", "random", or "custom".

    Example::

        >>> result = grid_search({"lr": [0.01, 0.1]}, train_fn, metric="val_accuracy")
        >>> result.best.config, result.best.scores["val_accuracy"]
        >>> print(result.to_markdown())
        >>> result.to_csv("search.csv")
    """

    trials: list[Trial]
    metric: str | None = None
    mode: str = "max"
    seed: int | None = None
    kind: str = "custom"
    interrupted: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        self.trials = sorted(self.trials, key=lambda trial: trial.index)
        if self.metric is None:
            self.metric = default_metric(next((t.scores for t in self.ok if t.scores), {}))

    # -- the records --------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.trials)

    def __iter__(self) -> Iterator[Trial]:
        return iter(self.trials)

    def __getitem__(self, index: int) -> Trial:
        return self.trials[index]

    @property
    def ok(self) -> list[Trial]:
        """The trials that finished and returned scores."""
        return [trial for trial in self.trials if trial.ok]

    @property
    def failed(self) -> list[Trial]:
        """The trials that raised (each with its ``error``)."""
        return [trial for trial in self.trials if not trial.ok]

    @property
    def params(self) -> list[str]:
        """The hyperparameter names, in the order they first appear."""
        names: dict[str, None] = {}
        for trial in self.trials:
            names.update(dict.fromkeys(trial.config))
        return list(names)

    @property
    def score_names(self) -> list[str]:
        """The score names, in the order they first appear."""
        names: dict[str, None] = {}
        for trial in self.trials:
            names.update(dict.fromkeys(trial.scores))
        return list(names)

    def _score(self, trial: Trial) -> float:
        return trial.scores.get(self.metric or "", math.nan)

    @property
    def best(self) -> Trial:
        """The successful trial with the best ``metric`` (ties: the lower index).

        Raises:
            RuntimeError: no trial succeeded, or none reported ``metric``.
        """
        if self.metric is None:
            raise RuntimeError(self._no_success_message())
        scored = [t for t in self.ok if self.metric in t.scores]
        if not scored:
            raise RuntimeError(
                f"no trial reported the metric {self.metric!r}; the scores are "
                f"{self.score_names}. " + self._no_success_message()
            )
        best = scored[0]
        for trial in scored[1:]:
            if is_better(self._score(trial), self._score(best), self.mode):
                best = trial
        return best

    def _no_success_message(self) -> str:
        failed = self.failed
        if not failed:
            return "no trial finished."
        first = failed[0].error
        return f"{len(failed)} of {len(self.trials)} trials failed; the first: {first}"

    def ranked(self) -> list[Trial]:
        """The successful trials, best first (ties: the lower index)."""
        sign = -1.0 if self.mode == "max" else 1.0

        def key(trial: Trial) -> tuple[bool, float, int]:
            score = self._score(trial)
            return (math.isnan(score), sign * score if not math.isnan(score) else 0.0, trial.index)

        return sorted(self.ok, key=key)

    def rerun(self, index: int, train_fn: TrainFn) -> Any:
        """Run trial ``index`` again: ``train_fn(config, seed)`` with its recorded values."""
        trial = next((t for t in self.trials if t.index == index), None)
        if trial is None:
            raise ValueError(f"there is no trial with index {index} (0..{len(self.trials) - 1})")
        return train_fn(dict(trial.config), trial.seed)

    # -- tables -------------------------------------------------------------------

    def _columns(self) -> tuple[list[str], list[str], list[str]]:
        """Header names for params and scores (a score named like a param gets 'score_')."""
        params = self.params
        scores = self.score_names
        score_headers = [f"score_{name}" if name in params else name for name in scores]
        return params, scores, score_headers

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per trial: trial, params, seed, scores, duration, error."""
        params, scores, score_headers = self._columns()
        rows = []
        for trial in self.trials:
            row: dict[str, Any] = {"trial": trial.index}
            row.update({name: trial.config.get(name) for name in params})
            row["seed"] = trial.seed
            row.update({h: trial.scores.get(name) for name, h in zip(scores, score_headers)})
            row["duration_s"] = trial.duration
            row["error"] = str(trial.error) if trial.error else None
            row["worker"] = trial.worker
            rows.append(row)
        return rows

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write one row per trial (see ``to_rows``); floats are written to round-trip."""
        rows = self.to_rows()
        params, _, score_headers = self._columns()
        header = ["trial", *params, "seed", *score_headers, "duration_s", "error", "worker"]
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(row[name]) for name in header])

    def to_markdown(self, top: int | None = None, sort: bool = True) -> str:
        """A Markdown table of the trials, best first (``sort``), the best marked with *.

        Args:
            top: show only this many successful trials (failed ones are always listed).
            sort: best first; False keeps the trial order.
        """
        params, scores, score_headers = self._columns()
        header = ["trial", *params, "seed", *score_headers, "time (s)", "error"]
        if sort:
            ok = self.ranked()
            ok = ok if top is None else ok[:top]
            trials: Sequence[Trial] = [*ok, *self.failed]
        else:
            trials = self.trials
        try:
            best_index: int | None = self.best.index
        except RuntimeError:
            best_index = None
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---:" if h != "error" else "---" for h in header) + "|",
        ]
        for trial in trials:
            mark = "*" if trial.index == best_index else ""
            cells = [f"{trial.index}{mark}"]
            cells += [_pretty(trial.config.get(name, "")) for name in params]
            cells.append(str(trial.seed))
            cells += [_pretty(trial.scores.get(name, "")) for name in scores]
            cells.append(f"{trial.duration:.2f}")
            cells.append(str(trial.error) if trial.error else "")
            lines.append("| " + " | ".join(_markdown_escape(cell) for cell in cells) + " |")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    # -- the validation curve -----------------------------------------------------

    def validation_curve(
        self, param: str, train_metric: str | None = None, val_metric: str | None = None
    ) -> dict[str, Any]:
        """Train and validation score against one hyperparameter, averaged per value.

        For each value v of ``param`` among the successful trials: the mean and the
        standard deviation of ``train_metric`` and ``val_metric`` over the trials with
        ``config[param] == v`` (over the other hyperparameters and seeds).

        Args:
            param: the hyperparameter on the x axis.
            train_metric: default: ``val_metric`` with "val" replaced by "train".
            val_metric: default: the search's ``metric``.

        Returns:
            {"values", "train_mean", "train_std", "val_mean", "val_std"} (lists, values
            sorted) and {"train_metric", "val_metric"} (the score names; train may be None).
        """
        if param not in self.params:
            raise ValueError(f"no hyperparameter named {param!r}; the search has {self.params}")
        val_metric = val_metric or self.metric
        if val_metric is None:
            raise RuntimeError(self._no_success_message())
        if train_metric is None:
            train_metric = _train_name(val_metric, self.score_names)
        for name in (train_metric, val_metric):
            if name is not None and name not in self.score_names:
                raise ValueError(f"no score named {name!r}; the scores are {self.score_names}")
        groups: dict[Any, list[Trial]] = {}
        for trial in self.ok:
            if param in trial.config:
                groups.setdefault(_hashable(trial.config[param]), []).append(trial)
        try:
            values = sorted(groups)
        except TypeError:  # values of mixed types: keep the order they first appeared
            values = list(groups)
        curve: dict[str, Any] = {"values": values}
        for prefix, name in (("train", train_metric), ("val", val_metric)):
            means, stds = [], []
            for value in values:
                scores = [t.scores[name] for t in groups[value] if name and name in t.scores]
                mean, std = _mean_std(scores)
                means.append(mean)
                stds.append(std)
            curve[f"{prefix}_mean"] = means
            curve[f"{prefix}_std"] = stds
        curve["train_metric"] = train_metric
        curve["val_metric"] = val_metric
        return curve

    def plot_validation_curve(
        self,
        param: str,
        path: str | os.PathLike[str] | None = None,
        train_metric: str | None = None,
        val_metric: str | None = None,
    ) -> Any:
        """Plot train and validation score against ``param``; save it to ``path`` if given.

        Mean over the trials sharing a value, with a band of one standard deviation.
        A numeric hyperparameter spanning a decade or more (a learning rate) gets a
        log axis; a non-numeric one (an activation) gets one tick per value. Needs
        matplotlib (``pip install "chainrule[plot]"``).

        Returns:
            the matplotlib ``Figure`` (drawn without pyplot: no window opens).
        """
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError(
                'plot_validation_curve needs matplotlib: pip install "chainrule[plot]"'
            ) from None
        curve = self.validation_curve(param, train_metric, val_metric)
        values = curve["values"]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        xs: list[float] = [float(v) for v in values] if numeric else list(range(len(values)))
        figure = Figure(figsize=(6, 4), layout="constrained")
        axes = figure.add_subplot()
        for prefix, color in (("train", "tab:blue"), ("val", "tab:orange")):
            name = curve[f"{prefix}_metric"]
            if name is None:
                continue
            means = curve[f"{prefix}_mean"]
            stds = curve[f"{prefix}_std"]
            axes.plot(xs, means, "o-", color=color, label=name)
            axes.fill_between(
                xs,
                [m - s for m, s in zip(means, stds)],
                [m + s for m, s in zip(means, stds)],
                color=color,
                alpha=0.2,
            )
        if numeric and xs and min(xs) > 0 and max(xs) / min(xs) >= 10:
            axes.set_xscale("log")
        if not numeric:
            axes.set_xticks(xs, [str(v) for v in values])
        axes.set_xlabel(param)
        axes.set_ylabel("score")
        axes.set_title(f"validation curve: {param}")
        axes.grid(True, alpha=0.3)
        axes.legend()
        if path is not None:
            figure.savefig(path)
        return figure


def _train_name(val_metric: str, names: list[str]) -> str | None:
    """The training twin of a validation score's name, if the trials report it."""
    for old, new in (("val_", "train_"), ("val", "train"), ("validation", "train")):
        if old in val_metric:
            candidate = val_metric.replace(old, new, 1)
            if candidate in names:
                return candidate
    return None


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return mean, math.sqrt(variance)
