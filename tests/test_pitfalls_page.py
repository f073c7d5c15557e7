"""The Pitfalls page, run headless with `streamlit.testing.v1.AppTest`: every card's numbers.

The page computes nothing itself: each card is a ``"pitfall"`` job in the real worker pool
(started by the first run; its workers import TensorFlow, the test process's page does not).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core import explain
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.formatting import small_difference as _num
from bilstm_lab.models import demos as pitfalls
from bilstm_lab.ui import pitfalls as page
from tests.conftest import ROOT

PAGE = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "pitfalls.py")
TIMEOUT = 300  # seconds: the workers import TensorFlow; the leakage card trains two models


@pytest.fixture(scope="module")
def app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_every_card_renders_without_error(app: AppTest) -> None:
    assert not app.exception and not app.error
    titles = [s.value for s in app.subheader]
    assert len(titles) == 7
    assert titles[0].startswith("1 · ") and titles[-1].startswith("7 · ")
    # Titles in words, not shorthand (the projector review: "None → 2 tensors; return_state → 5").
    assert titles[1] == "2 · How many tensors come back?"


def test_last_step_card_numbers(app: AppTest) -> None:
    demo = pitfalls.last_step_demo()
    metrics = _metrics(app)
    assert metrics["max |Δ| vs last token alone"] == _num(demo.last_vs_one_token) == "0"
    assert metrics["max |Δ| vs the real summary"] == _num(demo.last_vs_summary) != "0"
    table = app.table[0].value
    assert list(table.columns) == list(page.LAST_STEP_COLUMNS)
    last_step, alone, summary = page.LAST_STEP_COLUMNS
    assert list(table[last_step]) == list(table[alone])
    assert list(table[last_step]) != list(table[summary])
    assert "`seq[0, -1, u:]`" in "\n".join(c.value for c in app.caption)  # the code, explained


def test_outputs_and_stacking_cards(app: AppTest) -> None:
    text = "\n".join(m.value for m in app.markdown)
    assert "→ **5** tensors: (2, 8), 4 × (2, 4)" in text
    assert "→ **3** tensors: (2, 8), 2 × (2, 4)" in text
    assert "**6** tensors" in text
    assert any("expected ndim=3, found ndim=2" in code.value for code in app.code)


def test_padding_card_numbers(app: AppTest) -> None:
    demo = pitfalls.padding_demo()
    metrics = _metrics(app)
    assert metrics["|Δ| masked"] == "0"
    assert metrics["|Δ| no mask, ←"] == _num(demo.unmasked_backward_vs_unpadded) != "0"


def test_param_and_stacked_tables(app: AppTest) -> None:
    rows, _ = pitfalls.param_counts()
    table = app.dataframe[0].value
    assert list(table["Keras"]) == [fmt(r.keras_params) for r in rows]
    assert list(table["PyTorch"]) == [fmt(r.torch_params) for r in rows]
    stacked = app.table[1].value
    assert list(stacked["BiLSTM"]) == ["98,816", "41,216"]
    assert list(stacked["ratio"]) == ["2.00×", "3.32×"]
    # It says Keras confirms the lab's counts, not that Keras agrees with "doubled".
    assert list(stacked["matches Keras"]) == ["yes", "yes"]
    assert "Keras agrees" not in stacked.columns


def test_leakage_card_trains_on_demand(app: AppTest) -> None:
    assert "pitfalls_leakage" not in app.session_state
    # Untrained, the card holds its button and nothing that only repeats it.
    assert not any("Press the button" in info.value for info in app.info)
    app.button(key="pitfalls_train").click().run()
    assert not app.exception and not app.error
    demo = app.session_state["pitfalls_leakage"]
    table = app.table[2].value
    assert list(table.columns) == list(page.LEAKAGE_COLUMNS)
    # Each row names its model and what it saw.
    assert [tuple(row) for row in table.itertuples(index=False)] == [
        ("BiLSTM", page.SAW_WHOLE, f"{demo.teacher_forced_bi:.0%}"),
        ("BiLSTM", page.SAW_PREFIX, f"{demo.generation_bi:.0%}"),
        ("LSTM", page.SAW_WHOLE_CAUSAL, f"{demo.teacher_forced_uni:.0%}"),
    ]
    text = "\n".join(m.value for m in app.markdown)
    assert f"The BiLSTM, generating after {list(demo.sample_prompt)}, writes" in text
    assert demo.teacher_forced_bi > 0.8 and demo.generation_bi < demo.chance + 0.12


# --- the page and the worker pool ------------------------------------------------------------


def test_importing_the_page_does_not_import_tensorflow() -> None:
    code = (
        "import sys, bilstm_lab.ui.pitfalls; "
        "heavy = sorted(m for m in sys.modules if m.partition('.')[0] in "
        "('tensorflow', 'keras', 'torch') or m.startswith('bilstm_lab.models')); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def kill_own_worker(payload: Any, report: Any, should_stop: Any) -> None:
    """A job function that kills the worker process running it (as an out-of-memory kill would)."""
    os.kill(os.getpid(), signal.SIGKILL)


class _RecordingPool:
    """The real pool, recording what the page submits; ``victim``'s job kills its worker."""

    def __init__(self, pool: Any, victim: str | None = None) -> None:
        self.pool, self.victim = pool, victim
        self.submitted: list[tuple[str, Any]] = []

    def submit(self, job: str, payload: Any = None) -> Any:
        self.submitted.append((job, payload))
        if self.victim is not None and payload[0] == self.victim:
            return self.pool.submit(f"{__name__}:kill_own_worker", None)
        return self.pool.submit(job, payload)


@pytest.fixture()
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[_RecordingPool]:
    recorder = _RecordingPool(page.worker_pool())
    monkeypatch.setattr(page, "worker_pool", lambda: recorder)
    yield recorder


def test_results_are_cached_for_every_session(app: AppTest, recording: _RecordingPool) -> None:
    # `app` has run the page once: a new session is served from the cache, no job at all.
    other = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not other.exception and not other.error
    assert recording.submitted == []
    shown = [m.value for m in other.metric]  # cards 1 and 4 (the leakage card is untrained)
    assert len(shown) == 5 and shown == [m.value for m in app.metric][:5]


def test_a_lost_worker_fails_only_its_card(recording: _RecordingPool) -> None:
    page._cached_demo.clear()  # compute afresh: every card submits its job
    recording.victim = "stacking"
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    # All six submitted in one run, before any was waited for; the leakage one only on demand.
    assert recording.submitted == [("pitfall", (name, {})) for name, _, _ in page.CARDS]
    assert [e.value for e in at.error] == [explain.PITFALL_INTERRUPTED]
    assert len(at.subheader) == 7  # every card keeps its title
    assert not any("expected ndim=3" in code.value for code in at.code)  # the stacking card
    assert "→ **5** tensors: (2, 8), 4 × (2, 4)" in "\n".join(m.value for m in at.markdown)
    # Not cached: the next visit computes it again, on the replacement worker.
    recording.victim = None
    again = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not again.exception and not again.error
    assert recording.submitted[-1] == ("pitfall", ("stacking", {}))
    assert any("expected ndim=3, found ndim=2" in code.value for code in again.code)
