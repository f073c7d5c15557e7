"""Every claim a Pitfalls card makes, asserted on the numbers bilstm_lab.models.demos computes.

The demonstrations also run as a worker job (`demo_job`): called here directly, in-process, as
a worker calls it, and their results checked to be plain data the server can unpickle.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
from typing import Any

import pytest

from bilstm_lab.core.analysis import torch_recurrent_params
from bilstm_lab.core.pitfall_results import DEMO_NAMES, DemoStopped, LeakageDemo
from bilstm_lab.core.spec import Cell
from bilstm_lab.models import demos as pitfalls
from bilstm_lab.workers import worker
from bilstm_lab.workers.jobs import JOBS
from tests.conftest import ROOT

TINY = 1e-5  # "equal" up to float32 round-off


def _never_stop() -> bool:
    return False


def _job(name: str, **kwargs: Any) -> Any:
    """Run a demonstration exactly as a worker does (no progress, never stopped)."""
    return pitfalls.demo_job((name, kwargs), lambda _: None, _never_stop)


def test_last_step_backward_half_has_seen_one_token() -> None:
    demo = pitfalls.last_step_demo(units=4, seq_len=6)
    # The backward half of seq[:, -1, :] is the backward LSTM run on the last token alone...
    assert demo.last_vs_one_token < TINY
    assert demo.last_step_backward == pytest.approx(demo.backward_on_last_token, abs=TINY)
    # ...so it is not the summary, which Keras's return_sequences=False does return.
    assert demo.last_vs_summary > 0.01
    assert demo.summary_matches_keras < TINY
    assert demo.last_step_backward != pytest.approx(demo.summary_backward, abs=1e-3)


def test_torch_last_step_slips() -> None:
    pytest.importorskip("torch")
    demo = pitfalls.last_step_demo(units=4, seq_len=6, batch=2)
    torch_side = demo.torch
    assert torch_side.computed
    # batch_first=False: the shape is what was intended, so nothing fails...
    assert torch_side.slip_shape == torch_side.intended_shape == (2, 8)
    # ...but sample 0's result moves when only sample 1 changes: the batch was read as time.
    assert (
        torch_side.slip_leaks_across_batch is not None and torch_side.slip_leaks_across_batch > 1e-4
    )
    # h_n is the summary; final_summary gets it from out; out[:, -1, :] does not.
    assert torch_side.hn_vs_final_summary is not None and torch_side.hn_vs_final_summary < TINY
    assert torch_side.last_step_vs_hn is not None and torch_side.last_step_vs_hn > 0.01


def test_torch_last_step_without_torch_is_shape_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    monkeypatch.setattr(pitfalls, "torch_available", lambda: False)
    result = pitfalls.torch_last_step(np.zeros((3, 7, 2), dtype="float32"), units=5)
    assert not result.computed
    assert result.slip_shape == (3, 10) and result.input_shape == (3, 7, 2)
    assert result.slip_leaks_across_batch is None and result.hn_vs_final_summary is None


def test_return_state_gives_five_unmerged_tensors() -> None:
    demo = pitfalls.outputs_demo(units=4, seq_len=5)
    assert demo.lstm_state_shapes == ((2, 8), (2, 4), (2, 4), (2, 4), (2, 4))
    assert demo.gru_state_shapes == ((2, 8), (2, 4), (2, 4))
    assert demo.none_shapes == ((2, 5, 4), (2, 5, 4))
    assert demo.none_state_count == 6
    assert demo.output_is_states < TINY  # output = concat(h_forward, h_backward)


def test_stacking_without_return_sequences_fails() -> None:
    demo = pitfalls.stacking_demo(units=4, seq_len=5, features=3)
    assert demo.wrong_lower_shape == (None, 8)
    assert "expected ndim=3, found ndim=2" in demo.error
    assert demo.right_lower_shape == (None, 5, 8)
    assert demo.right_output_shape == (None, 8)


def test_padding_without_masking_changes_the_output() -> None:
    demo = pitfalls.padding_demo(tokens=(5, 3, 7), pad_to=8)
    assert demo.padded == (5, 3, 7, 0, 0, 0, 0, 0)
    assert demo.masked_vs_unpadded < TINY
    assert demo.unmasked_vs_unpadded > 1e-3
    assert demo.unmasked_backward_vs_unpadded > 1e-3  # it read the pads first
    assert pitfalls.mask_zero_matches_explicit_mask() < TINY


def test_param_counts_keras_vs_torch() -> None:
    rows, used_torch = pitfalls.param_counts(units=16, features=8)
    by_name = {row.layer: row for row in rows}
    for row in rows:
        assert row.keras_params == row.analysis_params, row
    assert by_name["LSTM"].torch_params - by_name["LSTM"].keras_params == 4 * 16
    assert by_name["GRU"].torch_params == by_name["GRU"].keras_params  # reset_after=True
    assert (
        by_name["GRU(reset_after=False)"].torch_params
        - by_name["GRU(reset_after=False)"].keras_params
        == 3 * 16
    )
    assert by_name["SimpleRNN"].torch_params - by_name["SimpleRNN"].keras_params == 16
    assert by_name["LSTM"].torch_params == torch_recurrent_params(Cell.LSTM, 16, 8)
    assert used_torch == (importlib.util.find_spec("torch") is not None)


def test_param_counts_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pitfalls, "torch_available", lambda: False)
    rows, used_torch = pitfalls.param_counts(units=8, features=4)
    assert not used_torch
    assert rows[0].torch_params == 4 * 8 * (4 + 8 + 2)


def test_stacked_second_layer_more_than_doubles() -> None:
    demo = pitfalls.stacked_demo()
    (_first, uni1, bi1, k_uni1, k_bi1, w1, bw1), (_second, uni2, bi2, k_uni2, k_bi2, w2, bw2) = (
        demo.rows
    )
    assert (uni1, bi1) == (k_uni1, k_bi1) and (uni2, bi2) == (k_uni2, k_bi2)  # analysis == Keras
    assert bi1 == 2 * uni1 and w1 == bw1
    assert (uni2, bi2) == (12_416, 41_216) and bi2 > 2 * uni2
    assert (w2, bw2) == (64, 128)  # its input doubled


@pytest.fixture(scope="module")
def leakage() -> LeakageDemo:
    # Through the worker job, with the page's payload: the assertions hold for what it shows.
    result = _job("leakage", seed=0)
    assert isinstance(result, LeakageDemo)
    return result


def test_future_leakage_looks_perfect_and_cannot_generate(leakage: LeakageDemo) -> None:
    chance = leakage.chance
    # Teacher-forced: perfect wherever the next token is inside the input...
    assert min(leakage.per_step_bi[:-1]) > 0.95
    assert leakage.per_step_bi[-1] < chance + 0.2
    assert leakage.teacher_forced_bi > 0.8
    # ...while the honest (causal) model cannot beat chance on random tokens,
    assert leakage.teacher_forced_uni < chance + 0.12
    # and the BiLSTM, given only a prefix as a generator is, falls to chance.
    assert leakage.generation_bi < chance + 0.12
    assert leakage.teacher_forced_bi - leakage.generation_bi > 0.5
    assert len(leakage.sample_generated) == len(leakage.sample_truth)


# --- the worker job ---------------------------------------------------------------------------


def test_the_job_is_registered_and_knows_every_card() -> None:
    assert JOBS["pitfall"] == "bilstm_lab.models.demos:demo_job"
    assert worker.resolve(JOBS["pitfall"]) is pitfalls.demo_job
    assert tuple(pitfalls.DEMOS) == DEMO_NAMES


@pytest.mark.parametrize("name", [n for n in DEMO_NAMES if n != "leakage"])
def test_job_results_equal_the_direct_call_and_are_plain_data(name: str) -> None:
    result = _job(name)
    assert result == pitfalls.DEMOS[name]()  # seeded: the same numbers every time
    # What the worker sends: its pickler refuses any Keras/TensorFlow/torch object.
    assert worker.loads(worker.dumps(result)) == result


def test_job_payload_forms() -> None:
    by_pairs = pitfalls.demo_job(("stacking", (("units", 3),)), lambda _: None, _never_stop)
    assert by_pairs.right_output_shape == (None, 6)
    assert pitfalls.demo_job("stacking", lambda _: None, _never_stop).right_output_shape == (
        None,
        8,
    )
    with pytest.raises(ValueError, match="received 'nope'"):
        pitfalls.demo_job(("nope", {}), lambda _: None, _never_stop)


def test_job_stops_when_asked() -> None:
    with pytest.raises(DemoStopped):
        pitfalls.demo_job(("padding", {}), lambda _: None, lambda: True)
    calls = 0

    def stop_after_a_few_batches() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    with pytest.raises(DemoStopped):
        pitfalls.demo_job(("leakage", {}), lambda _: None, stop_after_a_few_batches)
    assert calls < 10  # it stopped at once, not after training both models


def test_leakage_result_crosses_to_the_server(leakage: LeakageDemo) -> None:
    assert worker.loads(worker.dumps(leakage)) == leakage


def test_results_unpickle_without_tensorflow(tmp_path: Any) -> None:
    blob = tmp_path / "results.pickle"
    blob.write_bytes(worker.dumps([_job("last_step"), _job("outputs"), _job("params")]))
    code = (
        "import sys; from bilstm_lab.workers.worker import loads; "
        f"results = loads(open({str(blob)!r}, 'rb').read()); "
        "assert results[0].torch.slip_shape == (2, 8), results; "
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_demos_build_keras_layers_only_through_the_builder() -> None:
    source = inspect.getsource(pitfalls)
    direct = re.findall(r"keras\.(?:layers|initializers)\.\w+\(|keras\.(?:Input|Model)\(", source)
    assert not direct, direct
