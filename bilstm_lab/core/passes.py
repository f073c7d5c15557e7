"""The two passes of a bidirectional layer, frame by frame: which states exist, what each has read.

The one rule the step-through animation draws (`seen`): the forward state at column ``c`` has
read the inputs of columns ``0 … c``, the backward state at ``c`` those of ``c … n−1``. Frames
fill the forward chain left to right, then the backward chain right to left, then either the
per-step outputs (return_sequences=True) or the two states Keras returns (forward at the last
column, backward at the first). Columns are the time columns a picture draws (an ellipsis
column stands for the steps it hides), so the schedule is pure indices; the figure names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    """Which chain a state belongs to."""

    FORWARD = "forward"
    BACKWARD = "backward"


class Phase(StrEnum):
    """What one frame shows."""

    FORWARD = "forward"  # one more forward state
    BACKWARD = "backward"  # one more backward state
    OUTPUTS = (
        "outputs"  # return_sequences=True: every step's output (merged, when there is a merge)
    )
    RETURNED = "returned"  # return_sequences=False: the final state(s) the layer returns


#: One cell state: its chain and its column (0-based).
State = tuple[Direction, int]


def seen(state: State, columns: int) -> tuple[int, ...]:
    """The input columns ``state`` has read: the rule every frame follows.

    Args:
        state: (direction, column), the column 0-based.
        columns: how many time columns there are.

    Returns:
        Forward at ``c``: ``0 … c``; backward at ``c``: ``c … columns−1``.
    """
    direction, column = state
    if direction is Direction.FORWARD:
        return tuple(range(column + 1))
    return tuple(range(column, columns))


@dataclass(frozen=True)
class PassFrame:
    """One frame of the step-through.

    Attributes:
        phase: what this frame adds.
        current: the state(s) this frame is about (the one just computed; both final states
            on the last frame of return_sequences=False; every state on the outputs frame).
        filled: every state computed so far, in the order they were computed.
        highlighted: the input columns the current state(s) have read.
    """

    phase: Phase
    current: tuple[State, ...]
    filled: tuple[State, ...]
    highlighted: tuple[int, ...]

    @property
    def column(self) -> int | None:
        """The column of a forward or backward frame's new state; ``None`` on the last frame."""
        return self.current[0][1] if self.phase in (Phase.FORWARD, Phase.BACKWARD) else None


def _frame(
    phase: Phase, current: tuple[State, ...], filled: tuple[State, ...], columns: int
) -> PassFrame:
    inputs = sorted({column for state in current for column in seen(state, columns)})
    return PassFrame(phase, current, filled, tuple(inputs))


def pass_schedule(
    columns: int, bidirectional: bool = True, return_sequences: bool = True
) -> tuple[PassFrame, ...]:
    """Every frame of the step-through, in order.

    Args:
        columns: how many time columns the picture has (at least 1).
        bidirectional: with a backward chain (else only the forward pass).
        return_sequences: end on every step's output; else on the returned final state(s).

    Returns:
        Forward states 0 … n−1, then (bidirectional) backward states n−1 … 0, then one last
        frame: the outputs, or the final states (forward at n−1, backward at 0).
    """
    if columns < 1:
        raise ValueError(f"the step-through needs at least one time column, received {columns}")
    frames: list[PassFrame] = []
    filled: tuple[State, ...] = ()
    order = [(Direction.FORWARD, column) for column in range(columns)]
    if bidirectional:
        order += [(Direction.BACKWARD, column) for column in reversed(range(columns))]
    for state in order:
        filled = (*filled, state)
        phase = Phase.FORWARD if state[0] is Direction.FORWARD else Phase.BACKWARD
        frames.append(_frame(phase, (state,), filled, columns))
    if return_sequences:
        frames.append(_frame(Phase.OUTPUTS, filled, filled, columns))
    else:
        final: tuple[State, ...] = ((Direction.FORWARD, columns - 1),)
        if bidirectional:
            final += ((Direction.BACKWARD, 0),)
        frames.append(_frame(Phase.RETURNED, final, filled, columns))
    return tuple(frames)
