"""Hostile URLs and widget values on the pages: a clear message, never an exception.

Query parameters bypass the widgets, so the server-side checks are what stand between a
hand-edited link and a traceback (or a giant model).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from bilstm_lab.spec import FIELD_PARSERS, LIMITS, from_query
from tests.conftest import ROOT

EXPLORER = str(ROOT / "pages" / "1_Architecture_Explorer.py")

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
