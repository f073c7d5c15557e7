"""The home page (`bilstm_lab.ui.home`, at ``/``): the one-minute explanation, its numbers, links."""

from __future__ import annotations

import subprocess
import sys

from streamlit.testing.v1 import AppTest

from bilstm_lab.core.analysis import compare
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.spec import DEFAULT_SPEC
from bilstm_lab.ui.common import PAGES, page_script
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def test_home_explains_with_the_engines_numbers() -> None:
    at = _app()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    comparison = compare(DEFAULT_SPEC)
    uni_row, bi_row = comparison.uni.layers[0], comparison.bi.layers[0]
    assert uni_row.formula in text
    assert fmt(bi_row.params) in text
    assert format_shape(uni_row.output_shapes) in text
    assert format_shape(bi_row.output_shapes) in text
    assert bi_row.params == 2 * uni_row.params  # the "exactly 2×" the text claims


def test_home_links_every_page_by_its_url() -> None:
    at = _app()
    assert not at.exception, [e.value for e in at.exception]
    links = at.get("page_link")
    assert len(links) == len(PAGES)
    for info, link in zip(PAGES, links, strict=True):
        assert info.title in link.value and info.description in link.value
        assert link.proto.page == info.url_path  # the href: the URL app.py registered
        assert link.proto.icon == info.icon  # inherited from the st.Page
        assert info.script is not None and page_script(info).is_file()


def test_home_does_not_import_tensorflow() -> None:
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=120)\n"
        "at.run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "sys.exit('tensorflow imported' if 'tensorflow' in sys.modules else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-2000:]
