"""The step-through's schedule: every frame follows the rule of what each state has read."""

from __future__ import annotations

import pytest

from bilstm_lab.core.passes import Direction, Phase, pass_schedule, seen

FORWARD, BACKWARD = Direction.FORWARD, Direction.BACKWARD


def _expected_seen(direction: Direction, column: int, columns: int) -> set[int]:
    # Written out independently of `seen`: forward at t has read 1…t, backward at t has read t…T.
    if direction is FORWARD:
        return {step - 1 for step in range(1, column + 2)}
    return {step - 1 for step in range(column + 1, columns + 1)}


@pytest.mark.parametrize("columns", [1, 2, 4, 6])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_every_frame_highlights_what_its_states_have_read(
    columns: int, return_sequences: bool
) -> None:
    frames = pass_schedule(columns, bidirectional=True, return_sequences=return_sequences)
    assert len(frames) == 2 * columns + 1
    for frame in frames:
        for direction, column in frame.filled:
            assert set(seen((direction, column), columns)) == _expected_seen(
                direction, column, columns
            )
        expected = set().union(*(_expected_seen(d, c, columns) for d, c in frame.current))
        assert set(frame.highlighted) == expected


@pytest.mark.parametrize("columns", [1, 3, 6])
def test_forward_fills_left_to_right_then_backward_right_to_left(columns: int) -> None:
    frames = pass_schedule(columns)
    order = [frame.current[0] for frame in frames[:-1]]
    assert order == [(FORWARD, c) for c in range(columns)] + [
        (BACKWARD, c) for c in reversed(range(columns))
    ]
    for index, frame in enumerate(frames[:-1]):
        assert frame.filled == tuple(order[: index + 1])  # each frame adds exactly one state
        assert frame.column == order[index][1]
        # The newest forward state has read x_1…x_t; the newest backward one x_t…x_T.
        direction, column = frame.current[0]
        if direction is FORWARD:
            assert frame.highlighted == tuple(range(column + 1))
        else:
            assert frame.highlighted == tuple(range(column, columns))


def test_return_sequences_ends_on_the_outputs_of_every_state() -> None:
    last = pass_schedule(5, return_sequences=True)[-1]
    assert last.phase is Phase.OUTPUTS
    assert len(last.filled) == 10 and set(last.current) == set(last.filled)
    assert last.highlighted == tuple(range(5))  # every merged output has seen every input


def test_return_sequences_false_ends_on_forward_at_T_and_backward_at_1() -> None:
    frames = pass_schedule(5, return_sequences=False)
    last = frames[-1]
    assert last.phase is Phase.RETURNED
    assert last.current == ((FORWARD, 4), (BACKWARD, 0))
    assert last.column is None
    # Forward at T and backward at 1 have each read the whole sequence (unlike output[:, -1]).
    assert seen((FORWARD, 4), 5) == seen((BACKWARD, 0), 5) == tuple(range(5))
    assert seen((BACKWARD, 4), 5) == (4,)  # the backward state at T: after ONE step


def test_plain_layer_has_only_the_forward_pass() -> None:
    frames = pass_schedule(3, bidirectional=False, return_sequences=False)
    assert [frame.phase for frame in frames] == [Phase.FORWARD] * 3 + [Phase.RETURNED]
    assert frames[-1].current == ((FORWARD, 2),)
    assert pass_schedule(3, bidirectional=False)[-1].highlighted == (0, 1, 2)


def test_no_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one time column, received 0"):
        pass_schedule(0)
