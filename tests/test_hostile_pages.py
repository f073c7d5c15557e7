"""Hostile URLs and widget values on the pages: a clear message, never an exception.

Query parameters bypass the widgets, so the server-side checks are what stand between a
hand-edited link and a traceback (or a giant model).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from bilstm_lab.core.spec import FIELD_PARSERS, LIMITS, from_query
from tests.conftest import ROOT

EXPLORER = str(ROOT / "bilstm_lab" / "ui" / "page_scripts" / "architecture_explorer.py")

NASTY_VALUES = st.one_of(
    st.text(max_size=40),
    st.integers(-(10**15), 10**15).map(str),
    st.sampled_from([
        "", "none", "NaN", "inf", "-0", "1e9", "0x10", "٣", "²", "64,", ",", "1,2,3,4,5,6,7,8",
        "<script>alert(1)</script>", "../../etc/passwd", "%00", "true;drop", "x" * 5000,
        str(LIMITS["units"][1] + 1), str(LIMITS["vocab"][1] * 10), "4096,4096,4096,4096,4096,4096",
    ]),
)  # fmt: skip
QUERIES = st.dictionaries(
    st.sampled_from([*FIELD_PARSERS, "junk", "page"]), NASTY_VALUES, max_size=6
)


def _page_texts(at: AppTest) -> str:
    return " ".join(str(w.value) for w in at.warning)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES)
def test_explorer_survives_any_url(query: dict[str, str]) -> None:
    at = AppTest.from_file(EXPLORER, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    _spec, warnings = from_query(query)
    if warnings:
        shown = _page_texts(at)
        assert shown, f"no warning shown for {query}"
        assert all(w[:60] in shown for w in warnings), (warnings, shown)


# Widget values a hand-crafted websocket message could carry (the browser would clamp them).
WIDGET_VALUES = {
    "ex_units_0": st.integers(-(10**9), 10**9),
    "ex_layers": st.integers(-5, 50),
    "ex_seq_len": st.integers(-(10**6), 10**7),
    "ex_features": st.integers(-(10**6), 10**7),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(WIDGET_VALUES)).flatmap(
        lambda key: st.tuples(st.just(key), WIDGET_VALUES[key])
    )
)
def test_explorer_survives_out_of_range_widget_values(key_value: tuple[str, int]) -> None:
    key, value = key_value
    at = AppTest.from_file(EXPLORER, default_timeout=120)
    at.run()
    at.number_input(key=key).set_value(value).run()
    # Either the page clamps/ignores the value and shows its numbers, or it explains.
    assert at.metric or at.error
    assert not at.exception, [e.value for e in at.exception]


def test_a_hostile_session_does_not_affect_another() -> None:
    clean = AppTest.from_file(EXPLORER, default_timeout=120)
    clean.run()
    before = [m.value for m in clean.metric]
    hostile = AppTest.from_file(EXPLORER, default_timeout=120)
    hostile.query_params["units"] = "4096,4096,4096,4096,4096,4096"
    hostile.query_params["seq_len"] = "5000"
    hostile.query_params["cell"] = "<script>"
    hostile.run()
    assert not hostile.exception
    clean.run()
    assert [m.value for m in clean.metric] == before
    assert not clean.exception and not clean.warning
