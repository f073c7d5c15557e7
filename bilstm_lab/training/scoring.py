"""Scoring the two variants on held-out sequences: per step, overall, and with a target delay.

Pure numpy: the loop calls it on predictions, and tests can check it without a model.
"""

from __future__ import annotations

import numpy as np


def delay_targets(y: np.ndarray, mask: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift per-step targets ``delay`` steps later: output t+d is scored on label t.

    Args:
        y: labels ``(n, T)``.
        mask: ``(n, T)``, 1 where a label exists.
        delay: steps of delay ``d``.

    Returns:
        ``(y_delayed, mask_delayed)``, both ``(n, T)``; the first ``d`` outputs are unscored,
        and labels whose answer would fall past the end are dropped.
    """
    if delay == 0:
        return y, mask
    y_d, m_d = np.zeros_like(y), np.zeros_like(mask)
    y_d[:, delay:] = y[:, :-delay]
    m_d[:, delay:] = mask[:, :-delay]
    return y_d, m_d


def step_accuracy(pred: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-step accuracy over the sequences that have a label there, ``(T,)`` (NaN if none)."""
    weights = mask.astype(np.float64)
    hits = ((pred == y) * weights).sum(axis=0)
    counts = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)


def overall_accuracy(pred: np.ndarray, y: np.ndarray, mask: np.ndarray | None) -> float:
    """Accuracy over every label (``mask`` None: sequence-level labels)."""
    if mask is None:
        return float((pred == y).mean())
    weights = mask.astype(np.float64)  # float32 sums drift in the 8th digit
    return float(((pred == y) * weights).sum() / max(weights.sum(), 1.0))


def undelay(values: np.ndarray, delay: int) -> np.ndarray:
    """Map a per-output-step array ``(..., T)`` back to label time (output t+d -> label t)."""
    if delay == 0:
        return values
    out = np.full(values.shape, np.nan if values.dtype.kind == "f" else -1, dtype=values.dtype)
    out[..., :-delay] = values[..., delay:]
    return out


def delayed_mask(mask: np.ndarray | None, delay: int) -> np.ndarray | None:
    """The held-out mask restricted to labels a d-late model can still answer."""
    if mask is None or delay == 0:
        return mask
    out = mask.copy()
    out[:, mask.shape[1] - delay :] = 0.0
    return out
