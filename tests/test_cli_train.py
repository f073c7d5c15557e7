"""``python -m bilstm_lab train``: the task list, every task's lesson at its defaults, the report.

The lesson tests train each task with the Training Lab's defaults, through ``train --json``
in this process (TensorFlow is imported once for the module): about 5–8 s per task on the
2-core machine, ~1 minute for all seven.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bilstm_lab.cli.main import EXIT_USAGE, main
from bilstm_lab.core.tasks import TASKS, Task, get_task
from bilstm_lab.core.verdict import TONES, Outcome, Tone, assess, best_possible

JSON_KEYS = {
    "task",
    "needs_future",
    "acc_unidirectional",
    "acc_bidirectional",
    "chance",
    "seconds",
    "step_acc_unidirectional",
    "step_acc_bidirectional",
    "ceiling",
    "connectivity",
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["train", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_names_every_task(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--list", "--json")
    assert code == 0
    tasks = json.loads(out)
    assert [t["key"] for t in tasks] == list(TASKS)
    for entry in tasks:
        assert set(entry) == {"key", "name", "needs_future", "per_step"}
        task = get_task(entry["key"])
        assert (entry["name"], entry["needs_future"], entry["per_step"]) == (
            task.name,
            task.needs_future,
            task.per_step,
        )


def test_list_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--list")
    assert code == 0
    assert all(key in out for key in TASKS)


def _lesson_outcome(task: Task, data: dict) -> Outcome:
    """The outcome the verdict gives these numbers (the same function the page uses)."""
    best = best_possible(data["ceiling"])
    return assess(task, data["acc_unidirectional"], data["acc_bidirectional"], best)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(TASKS))
def test_every_task_shows_its_lesson_at_its_defaults(
    capsys: pytest.CaptureFixture[str], key: str
) -> None:
    code, out, err = _run(capsys, "--task", key, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    task = get_task(key)
    assert data["task"] == key and data["needs_future"] == task.needs_future
    uni, bi = data["acc_unidirectional"], data["acc_bidirectional"]
    outcome = _lesson_outcome(task, data)
    if task.leaks:  # the BiLSTM's win is shown as fake: a warning, never a success box
        assert bi - uni >= 0.15, data
        assert outcome is Outcome.LEAKAGE and TONES[outcome] is Tone.WARNING
    elif task.needs_future:  # BiLSTM >= 85% and at least 15 points ahead
        assert bi >= 0.85 and bi - uni >= 0.15, data
        assert outcome is Outcome.FUTURE_WINS
    else:  # the past suffices: both >= 80% and within 10 points
        assert bi >= 0.80 and uni >= 0.80 and abs(bi - uni) <= 0.10, data
        assert outcome is Outcome.BOTH_SOLVE
    if task.per_step:
        length = len(data["ceiling"])
        assert len(data["step_acc_unidirectional"]) == len(data["step_acc_bidirectional"]) == length
        assert None in data["ceiling"] or key in ("reversal", "marker_later", "late_negation")
    else:
        assert data["ceiling"] is data["step_acc_unidirectional"] is None
    print(f"\n{key}: BiLSTM {bi:.3f}, LSTM {uni:.3f}, {data['seconds']} s of training")


def test_summary_has_the_numbers_per_step_table_and_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(
        capsys, "--task", "look_ahead", "--epochs", "1", "--samples", "250", "--seq-len", "6"
    )
    assert code == 0, err
    assert out.startswith("Look-ahead — the label at t is the token at t+k.")
    assert (
        "held-out accuracy" in out
        and "time step t" in out
        and "best possible, left to right" in out
    )
    assert "\nVerdict:\n- " in out
    assert "\nConnectivity: Weight on later inputs (s > t): LSTM none, BiLSTM forward none" in out
    assert "Epoch 1/1" in err  # the progress bar (one line per epoch when not a terminal)
    assert "Traceback" not in out + err


def test_json_has_the_connectivity_maps_with_their_causal_zeros(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(
        capsys, "--task", "look_ahead", "--epochs", "1", "--samples", "128", "--seq-len", "5",
        "--k", "2", "--units", "4", "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    maps = {key: np.array(matrix) for key, matrix in data["connectivity"].items()}
    assert list(maps) == ["unidirectional", "forward", "backward"]
    future = np.triu(np.ones((5, 5), bool), k=1)  # row t, column s > t
    for key, matrix in maps.items():
        assert matrix.shape == (5, 5) and (matrix >= 0).all()
        forbidden = future.T if key == "backward" else future
        assert (matrix[forbidden] == 0).all() and (matrix[~forbidden] > 0).all()


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--task", "nope"], "task"),
        ([], "task"),
        (["--task", "reversal", "--seq-len", "abc"], "seq_len"),
        (["--task", "reversal", "--epochs", "0"], "epochs"),
        (["--task", "look_ahead", "--k", "20"], "k"),
        (["--task", "first_token", "--target-delay", "2"], "target_delay"),
        (["--task", "reversal", "--learning-rate", "nan"], "learning_rate"),
        (["--task", "reversal", "--cell", "transformer"], "cell"),
    ],
)
def test_bad_flags_name_the_field_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == EXIT_USAGE
    assert out == ""
    assert err.startswith(f"bilstm_lab: error: {field} ") and err.count("\n") == 1, err
