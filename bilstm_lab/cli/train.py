"""The ``train`` sub-command (registered by `bilstm_lab.cli.main`).

``python -m bilstm_lab train --list [--json]`` lists the toy tasks;
``python -m bilstm_lab train --task KEY [--seq-len N ...] [--json]`` trains the task's LSTM and
BiLSTM side by side, in this process, with the Training Lab's defaults for that task (each flag
overrides one; the flags are `bilstm_lab.core.train_fields.FIELDS`). Without ``--json`` a
progress bar runs on stderr and a summary with the verdict follows on stdout. Every bad value
is a `TaskError` naming its field, which `bilstm_lab.cli.main` prints as one line (exit 2).
TensorFlow is imported only when a training starts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, TextIO

import numpy as np

from bilstm_lab.cli.quiet import native_stderr_silenced
from bilstm_lab.core import explain
from bilstm_lab.core.connectivity import reading
from bilstm_lab.core.errors import TaskError
from bilstm_lab.core.formatting import accuracy, fmt, text_table
from bilstm_lab.core.results import Progress, StepScores, TrainResult
from bilstm_lab.core.tasks import TASKS
from bilstm_lab.core.train_config import TrainConfig
from bilstm_lab.core.train_fields import FIELDS, config_from_fields
from bilstm_lab.render.training_charts import CEILING_NAME

BAR_WIDTH = 24


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` sub-parser: ``--list``, one flag per training setting, ``--json``."""
    parser = subparsers.add_parser(
        "train",
        help="train the LSTM and the BiLSTM of a toy task side by side, with the verdict",
        description="Train a toy task's unidirectional and bidirectional model on identical "
        "batches, with the Training Lab's settings for that task (flags override them), and "
        "print the held-out accuracies, the accuracy at each time step and the verdict.",
    )
    parser.add_argument("--list", action="store_true", help="list the tasks and exit")
    for field in FIELDS.values():
        if field.name == "match_params":
            parser.add_argument(
                field.flag,
                dest=field.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"{field.help} (default: the task's)",
            )
        else:
            parser.add_argument(
                field.flag,
                dest=field.name,
                metavar=field.name.upper(),
                help=f"{field.help} (default: the task's)" if field.name != "task" else
                "the task to train (see --list)",
            )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON instead of the summary")
    parser.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    """``train``: list the tasks, or train one and print its summary (or JSON)."""
    if args.list:
        print(tasks_json() if args.json else tasks_table())
        return 0
    if args.task is None:
        raise TaskError(
            "task", "task is required: give --task KEY (see train --list), received nothing"
        )
    given = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    config = config_from_fields(given)
    result = train_in_process(config, None if args.json else sys.stderr)
    print(json.dumps(result_json(result), indent=2) if args.json else summary(result))
    return 0


def tasks_json() -> str:
    """``train --list --json``: ``[{"key", "name", "needs_future", "per_step"}, ...]``."""
    tasks = [
        {"key": t.key, "name": t.name, "needs_future": t.needs_future, "per_step": t.per_step}
        for t in TASKS.values()
    ]
    return json.dumps(tasks, indent=2, ensure_ascii=False)


def tasks_table() -> str:
    """``train --list``: the tasks as a plain-text table."""
    rows = [["key", "name", "needs the future", "label"]] + [
        [t.key, t.name, "yes" if t.needs_future else "no", "per step" if t.per_step else "per sequence"]
        for t in TASKS.values()
    ]  # fmt: skip
    return "\n".join(text_table(rows, right_aligned=set()))


def train_in_process(config: TrainConfig, progress_to: TextIO | None) -> TrainResult:
    """Train ``config`` here (importing TensorFlow quietly), drawing a progress bar if asked.

    Args:
        config: the run.
        progress_to: where the progress bar goes (stderr), or ``None`` for none.
    """
    with native_stderr_silenced():  # TensorFlow's C++ start-up notices
        from bilstm_lab.training.loop import train

    if progress_to is None:
        return train(config)
    bar = ProgressBar(progress_to)
    result = train(config, on_progress=bar.update)
    bar.close()
    return result


class ProgressBar:
    """A one-line progress bar: redrawn in place on a terminal, one line per epoch otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.live = out.isatty()
        self.last_epoch = 0

    def update(self, progress: Progress) -> None:
        """Draw ``progress`` (the loop's callback)."""
        filled = round(progress.fraction * BAR_WIDTH)
        line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {explain.training_progress(progress)}"
        if self.live:
            self.out.write("\r" + line.ljust(100))
            self.out.flush()
        elif progress.batch == progress.batches and progress.epoch > self.last_epoch:
            self.last_epoch = progress.epoch
            print(line, file=self.out, flush=True)

    def close(self) -> None:
        """End the bar's line."""
        if self.live:
            self.out.write("\n")
            self.out.flush()


def _numbers(values: np.ndarray | None) -> list[float | None] | None:
    """A per-step array as a JSON list (NaN -> null), or ``None``."""
    if values is None:
        return None
    return [None if math.isnan(v) else float(v) for v in values]


def result_json(result: TrainResult) -> dict[str, Any]:
    """``train --json``: the run's numbers (per-step lists are ``null`` for sequence tasks)."""
    task = result.config.task_obj
    return {
        "task": task.key,
        "needs_future": task.needs_future,
        "acc_unidirectional": result.acc_uni,
        "acc_bidirectional": result.acc_bi,
        "chance": result.chance,
        "seconds": round(result.seconds, 2),
        "step_acc_unidirectional": _numbers(result.step_acc_uni),
        "step_acc_bidirectional": _numbers(result.step_acc_bi),
        "ceiling": _numbers(result.ceiling),
        "connectivity": result.connectivity.as_lists() if result.connectivity else None,
    }


def summary(result: TrainResult) -> str:
    """The readable report: the task, the accuracies, the accuracy per step, the verdict."""
    names = explain.variant_names(result.config)
    lines = [
        explain.task_summary(result.config.task_obj, markdown=False),
        explain.training_summary(result),
        "",
        *text_table(
            [
                ["", names[0], names[1], "chance"],
                ["held-out accuracy", accuracy(result.acc_bi), accuracy(result.acc_uni), accuracy(result.chance)],
                ["parameters", fmt(result.params_bi), fmt(result.params_uni), ""],
            ],
            right_aligned={1, 2, 3},
        ),
    ]  # fmt: skip
    scores = result.step_scores
    if scores is not None:
        lines += ["", *_step_table(scores, names)]
    if result.connectivity is not None:
        config = result.config
        numbers = reading(result.connectivity, config.task, config.params.k, config.target_delay)
        lines += ["", "Connectivity: " + explain.connectivity_reading(numbers, names)]
    judged = explain.verdict(result)
    lines += ["", "Verdict:", *(f"- {line}" for line in judged.lines)]
    return "\n".join(lines)


def _step_table(scores: StepScores, names: tuple[str, str]) -> list[str]:
    """Accuracy at each time step; ``*`` marks the steps whose answer the LSTM has not read."""

    def cells(values: np.ndarray) -> list[str]:
        return ["–" if math.isnan(v) else accuracy(v) for v in values]

    unread = scores.unread
    rows = [
        ["time step t", *(f"{t}{'*' if unread[t] else ''}" for t in range(len(scores.bi)))],
        [names[0], *cells(scores.bi)],
        [names[1], *cells(scores.uni)],
        [CEILING_NAME, *cells(scores.ceiling)],
    ]
    table = text_table(rows, right_aligned=set(range(1, len(scores.bi) + 1)))
    return [*table, explain.unread_mark_note(names)] if unread.any() else table
