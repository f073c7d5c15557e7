"""The Pitfalls page, run headless with `streamlit.testing.v1.AppTest`: every card's numbers."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from bilstm_lab.core.analysis import fmt
from bilstm_lab.models import demos as pitfalls
from bilstm_lab.ui.pitfalls import _num
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "4_Pitfalls.py")
TIMEOUT = 300  # seconds: TensorFlow loads in the page; the leakage card trains two models


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


def test_last_step_card_numbers(app: AppTest) -> None:
    demo = pitfalls.last_step_demo()
    metrics = _metrics(app)
    assert metrics["max |Δ| vs last token alone"] == _num(demo.last_vs_one_token) == "0"
    assert metrics["max |Δ| vs the real summary"] == _num(demo.last_vs_summary) != "0"
    table = app.dataframe[0].value
    assert list(table["seq[0, -1, u:]"]) == list(table["last token alone"])
    assert list(table["seq[0, -1, u:]"]) != list(table["real summary (backward)"])


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
    table = app.dataframe[1].value
    assert list(table["Keras"]) == [fmt(r.keras_params) for r in rows]
    assert list(table["PyTorch"]) == [fmt(r.torch_params) for r in rows]
    stacked = app.dataframe[2].value
    assert list(stacked["BiLSTM"]) == ["98,816", "41,216"]
    assert list(stacked["ratio"]) == ["2.00×", "3.32×"]
    assert list(stacked["Keras agrees"]) == ["✓", "✓"]


def test_leakage_card_trains_on_demand(app: AppTest) -> None:
    assert "pitfalls_leakage" not in app.session_state
    app.button(key="pitfalls_train").click().run()
    assert not app.exception and not app.error
    demo = app.session_state["pitfalls_leakage"]
    metrics = _metrics(app)
    assert metrics["BiLSTM: full seq"] == f"{demo.teacher_forced_bi:.0%}"
    assert metrics["BiLSTM: prefix"] == f"{demo.generation_bi:.0%}"
    assert demo.teacher_forced_bi > 0.8 and demo.generation_bi < demo.chance + 0.12
