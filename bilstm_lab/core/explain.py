"""Every sentence the lab says about numbers and results, in one place.

Computation modules return numbers; the pages, the CLI and the notebook API ask this module
for the words, so a phrase is written once and the same figure is always rounded the same way.
"""

from __future__ import annotations

import numpy as np

from bilstm_lab.core.analysis import LayerRatio
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.results import TrainResult
from bilstm_lab.core.spec import Cell, ModelSpec, TokenInput
from bilstm_lab.core.train_config import StopReason, TrainConfig

# --- the architecture ---------------------------------------------------------------------------


def describe(spec: ModelSpec) -> str:
    """One line describing a spec in the terms of its fields."""
    units = ", ".join(str(u) for u in spec.units)
    head = f", Dense({spec.head.units}, {spec.head.activation})" if spec.head else ""
    if isinstance(spec.input, TokenInput):
        vocab = fmt(spec.input.vocab)
        input_text = f"{spec.input.seq_len} token ids (vocab {vocab}, embedding {spec.input.width})"
    else:
        input_text = f"{spec.input.seq_len} steps × {spec.input.width} features"
    return (
        f"{spec.cell.keras_name}({units}){head} on {input_text}, batch {spec.batch_size}; "
        f"return_sequences={spec.return_sequences}, return_state={spec.return_state}, "
        f"merge_mode={spec.merge_mode.value}"
    )


def ratio_reason(ratio: LayerRatio) -> str:
    """Why a layer's parameters grow by the ratio they do when the model goes bidirectional."""
    if ratio.recurrent:
        copies = "two independent copies (forward and backward)"
        if not ratio.widened:
            return f"{copies} of the same layer: exactly 2×"
        return (
            f"{copies}, and each one's input widened from {ratio.uni_input_width} to "
            f"{ratio.bi_input_width} because the layer below concatenates its two directions"
        )
    return (
        f"its input widened from {ratio.uni_input_width} to {ratio.bi_input_width} "
        "(the concatenated forward and backward outputs)"
    )


def torch_difference(cell: Cell) -> str:
    """One sentence on how PyTorch's count of a ``cell`` layer relates to Keras's."""
    if cell is Cell.GRU:
        return (
            "Keras's GRU defaults to reset_after=True, which keeps two bias vectors (input and "
            "recurrent) just as PyTorch's b_ih and b_hh, so the counts agree."
        )
    extra = "4·u" if cell is Cell.LSTM else "u"
    return (
        f"PyTorch keeps two bias vectors (b_ih and b_hh) where Keras keeps one, so each "
        f"direction of each {cell.torch_name} layer has {extra} more parameters in PyTorch."
    )


# --- training results ---------------------------------------------------------------------------


def variant_names(config: TrainConfig) -> tuple[str, str]:
    """Display names ``(bidirectional, unidirectional)``, e.g. ``("BiLSTM", "LSTM")``."""
    keras_name = Cell(config.cell).keras_name
    return f"Bi{keras_name}", keras_name


def verdict(result: TrainResult) -> list[str]:
    """A few plain-words sentences computed from the result (not canned per task).

    Args:
        result: a finished (or stopped) run.

    Returns:
        Sentences for the page, most important first.
    """
    task = result.config.task_obj
    lines: list[str] = []
    gap = result.acc_bi - result.acc_uni
    names = variant_names(result.config)
    lines.append(
        f"Held-out accuracy: {names[0]} {result.acc_bi:.0%}, {names[1]} {result.acc_uni:.0%} "
        f"(chance {result.chance:.0%})."
    )
    if result.step_acc_uni is not None and result.ceiling is not None:
        ceiling = result.ceiling
        valid = ~np.isnan(ceiling) & ~np.isnan(result.step_acc_uni)
        future = valid & (ceiling < 0.999)
        if future.any():
            steps = np.flatnonzero(future)
            uni_there = float(np.nanmean(result.step_acc_uni[future]))
            bi_there = (
                float(np.nanmean(result.step_acc_bi[future]))
                if result.step_acc_bi is not None
                else float("nan")
            )
            ceil_there = float(ceiling[future].mean())
            lines.append(
                f"On the {len(steps)} steps whose answer lies (partly) in the future "
                f"(t = {_ranges(steps)}), the {names[1]} averages {uni_there:.0%} against a best "
                f"possible {ceil_there:.0%} for any model that reads left to right; the "
                f"{names[0]} averages {bi_there:.0%} there."
            )
        past = valid & (ceiling >= 0.999)
        if past.any():
            lines.append(
                f"Where the answer is already in the past ({int(past.sum())} steps), the {names[1]} "
                f"averages {float(np.nanmean(result.step_acc_uni[past])):.0%}."
            )
    if gap > 0.1:
        lines.append(
            f"The {names[0]} wins by {gap * 100:.0f} points: its backward direction has already read "
            "the rest of the sequence when it answers."
        )
    elif gap < -0.1:
        lines.append(
            f"The {names[1]} is ahead by {-gap * 100:.0f} points — train longer or check the settings."
        )
    elif task.needs_future and result.acc_bi < 0.9:
        lines.append(
            f"Neither variant has learned the task yet ({names[0]} {result.acc_bi:.0%}): "
            "train for more epochs, with more samples or a larger model."
        )
    else:
        lines.append(
            "Both variants score about the same: on this task the future adds nothing the past "
            "does not already give."
        )
    if result.config.target_delay:
        lines.append(
            f"With a target delay of {result.config.target_delay}, the {names[1]} answers "
            f"{result.config.target_delay} steps late — it may read that far ahead, at the cost of latency."
        )
    if task.key == "next_token" and result.acc_bi > result.acc_uni + 0.1:
        lines.append(
            "Warning — leakage: the bidirectional score is not a real skill. The backward direction "
            "reads the very token it is asked to predict; when generating text that token does not "
            "exist yet."
        )
    if result.reason != StopReason.FINISHED:
        lines.append(f"Training ended early ({result.reason}) after {result.epochs_done} epoch(s).")
    return lines


def _ranges(steps: np.ndarray) -> str:
    """``[0,1,2,5]`` -> ``"0–2, 5"``."""
    parts: list[str] = []
    start = prev = int(steps[0])
    for step in [int(s) for s in steps[1:]] + [None]:
        if step is not None and step == prev + 1:
            prev = step
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if step is not None:
            start = prev = step
    return ", ".join(parts)


# --- jobs in worker processes ------------------------------------------------------------------

TRAINING_INTERRUPTED = (
    "The training was interrupted (its worker process stopped). Press Train to run it again."
)
TRAINING_STARTING = "Starting: building both models and compiling the training step…"
TRAINING_LEFT_QUEUE = "The training left the queue before it started (stopped, or waited too long)."
JOB_INTERRUPTED = "{what} was interrupted (its worker process stopped). Try again."


def queue_position(position: int | None, busy: int, capacity: int) -> str:
    """The queue line shown while a job waits for a worker."""
    where = f"you are number {position} in the queue" if position else "you are in the queue"
    return f"Waiting for a free worker — {where} ({busy} of {capacity} workers busy)."


def job_failed(what: str, error: BaseException | None) -> str:
    """A job ended with an unexpected error: name its type, never a traceback."""
    kind = type(error).__name__ if error is not None else "unknown error"
    return f"{what} failed ({kind}). Try again; if it fails again, change the settings."


# --- verification ------------------------------------------------------------------------------


def verification_summary(ok: bool, checked: int, mismatched: int, with_torch: bool) -> str:
    """One line saying what "Verify with real Keras" found."""
    frameworks = "Keras and PyTorch" if with_torch else "Keras"
    if ok:
        return f"verified with {frameworks}: all {checked} numbers agree"
    return f"{mismatched} of {checked} numbers differ from {frameworks}"


# --- conversion --------------------------------------------------------------------------------

JOB_LEFT_QUEUE = "{what} left the queue before it started (the server is busy). Try again."


def conversion_check(
    size_bytes: int,
    batch_shapes: tuple[tuple[int, ...], ...],
    output_shapes: tuple[tuple[int, ...], ...],
) -> str:
    """The proof under a converted model: saved, loaded back, run (page and CLI)."""
    batch = ", ".join(str(tuple(shape)) for shape in batch_shapes)
    outputs = ", ".join(str(tuple(shape)) for shape in output_shapes)
    return (
        f"Saved ({size_bytes / 1024:,.0f} KB), loaded back with safe_mode=True, and predicted a "
        f"batch of {batch} → {outputs}."
    )


# --- pitfall demonstrations --------------------------------------------------------------------

PITFALL_INTERRUPTED = (
    "This demonstration was interrupted (its worker process stopped). Run it again: reload the "
    "page, or press the card's button."
)


def pitfall_failed(error: BaseException) -> str:
    """A demonstration ended with another error (its job's own, or it left the queue)."""
    return f"This demonstration failed: {type(error).__name__}: {error}"
