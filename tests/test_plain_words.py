"""Plain words on every page: no emoji, no internal labels, no doubled words.

Each page is run headless with `streamlit.testing.v1.AppTest` (Home, the Explorer with its
defaults and with every preset, the Training Lab, Convert with its built-in example, Pitfalls
with every card) and every string the page sends to the browser is collected from the element
protos: Markdown, captions, alerts and their icons, titles, labels, help texts, options,
metrics, table cells, the charts' text and the code blocks. Then:

- no codepoint in the emoji ranges: a kiosk's Chromium without an emoji font draws empty boxes
  (Streamlit's Material icons, ``:material/check_circle:``, are the way to show a status);
- no "seed"/"article 000": the lab's internal names for its source articles;
- no word written twice in a row ("Verified: verified with Keras").

The same checks run over the CLI's ``presets`` listing and over `bilstm_lab.core.explain`'s
sentences with representative arguments, which reach wording no default page shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Code, Dataframe, Table

from bilstm_lab.cli.main import main
from bilstm_lab.core import explain
from bilstm_lab.core.analysis import compare
from bilstm_lab.core.presets import PRESETS
from bilstm_lab.core.spec import Cell, MergeMode, ModelSpec
from bilstm_lab.core.train_config import default_config
from bilstm_lab.core.train_fields import config_query
from bilstm_lab.ui.explorer import MORE_OPTIONS_KEY, VIEW_KEY, VIEWS
from tests.conftest import ROOT

PAGES = ROOT / "bilstm_lab" / "ui" / "page_scripts"
TIMEOUT = 300  # seconds: Convert and Pitfalls wait for workers that import TensorFlow

#: The emoji blocks, the miscellaneous symbols and dingbats (✓ ✗ ⚠ ⏳ …), the arrows-and-shapes
#: block with ⭐ and ⬛, and the emoji variation selector.
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
INTERNAL_NAMES = re.compile(r"\bseed|article 0\d\d", re.IGNORECASE)
#: A word twice in a row, also across a colon: "Verified: verified with Keras".
DOUBLED = re.compile(r"\b(\w+):?\s+\1\b", re.IGNORECASE)

#: Proto fields that are identifiers or settings, never shown as text.
TECHNICAL_FIELDS = {
    "id", "element_id", "form_id", "url", "type", "tag", "format", "theme", "config",
    "language", "engine", "raw_value", "raw_values", "default", "value", "page", "key",
}  # fmt: skip


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def _proto_strings(message: Message) -> Iterator[tuple[str, str]]:
    """``(field name, text)`` for every string field, nested messages included."""
    for field, value in message.ListFields():
        if field.name in TECHNICAL_FIELDS:
            continue
        for item in value if field.is_repeated else [value]:
            if field.type == field.TYPE_STRING:
                yield field.name, item
            elif field.type == field.TYPE_MESSAGE:
                yield from _proto_strings(item)


def _json_strings(data: Any) -> Iterator[str]:
    """The string values (not the keys) of a chart's JSON spec: titles, labels, hover text."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _json_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_strings(value)


def page_texts(at: AppTest) -> tuple[list[str], list[str]]:
    """What a page shows: ``(prose, code)``. Prose is every sentence, label, option, cell and
    chart text; code is the code blocks and the graph sources (checked for emoji only)."""
    prose: list[str] = []
    code: list[str] = []
    for node in _walk(at._tree):
        if isinstance(node, (Dataframe, Table)):
            frame = node.value
            if isinstance(frame, pd.DataFrame):
                prose += [str(c) for c in frame.columns]
                prose += [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)]
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = type(proto).__name__
        for name, text in _proto_strings(proto):
            if isinstance(node, Code) or kind == "GraphVizChart":
                code.append(text)
            elif kind == "PlotlyChart" and name == "spec":
                prose += [s for s in _json_strings(json.loads(text)) if " " in s.strip()]
                code.append(text)
            else:
                prose.append(text)
    return prose, code


def _app(script: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(script: str, **query: str) -> tuple[list[str], list[str]]:
    return page_texts(_app(script, **query))


def _explorer(query: dict[str, str]) -> tuple[list[str], list[str]]:
    """The Explorer's texts in every view, "More options" open: only the open view is drawn."""
    at = AppTest.from_file(str(PAGES / "architecture_explorer.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.session_state[MORE_OPTIONS_KEY] = True
    prose: list[str] = []
    code: list[str] = []
    for view in VIEWS:
        at.session_state[VIEW_KEY] = view
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        view_prose, view_code = page_texts(at)
        prose += view_prose
        code += view_code
    return prose, code


def _pages() -> Iterator[tuple[str, Any]]:
    yield "Home", lambda: _texts(str(ROOT / "app.py"))
    yield "Explorer", lambda: _explorer({})
    for preset in PRESETS:
        yield f"Explorer: {preset.key}", lambda p=preset: _explorer(p.spec.to_query())
    yield "Training Lab", lambda: _texts(str(PAGES / "training_lab.py"))
    locked = {**config_query(default_config("look_ahead")), "lock": "1"}
    yield "Training Lab: locked link", lambda: _texts(str(PAGES / "training_lab.py"), **locked)
    yield "Convert", lambda: _texts(str(PAGES / "convert.py"))
    yield "Pitfalls", lambda: _texts(str(PAGES / "pitfalls.py"))


PAGE_RUNS = dict(_pages())


def assert_plain(where: str, prose: list[str], code: tuple[str, ...] | list[str] = ()) -> None:
    """No emoji anywhere; no internal name and no doubled word in the prose."""
    problems = []
    for text in [*prose, *code]:
        for match in EMOJI.finditer(text):
            problems.append(f"emoji U+{ord(match.group()):04X} in {text[:120]!r}")
    for text in prose:
        if INTERNAL_NAMES.search(text):
            problems.append(f"internal name in {text[:120]!r}")
        for match in DOUBLED.finditer(text):
            if not match.group(1).isdigit():  # "(2, 8) 8" style shapes are not words
                problems.append(f"doubled {match.group()!r} in {text[:120]!r}")
    assert not problems, f"{where}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", list(PAGE_RUNS))
def test_page_text_is_plain(page: str) -> None:
    prose, code = PAGE_RUNS[page]()
    assert prose, "no text collected"
    assert_plain(page, prose, code)


def test_a_preset_page_names_its_source_article() -> None:
    # The collection reaches the preset's box: its title and its source, in plain words.
    prose, _ = _explorer(next(p for p in PRESETS if p.key == "stacked-classifier").spec.to_query())
    text = "\n".join(prose)
    assert (
        "**Stacked BiLSTM text classifier (64, 32 units)** — from the article “How can I " in text
    )
    assert "The original code, from the article" in text


def test_the_checks_catch_what_they_are_for() -> None:
    with pytest.raises(AssertionError, match="emoji U\\+2705"):
        assert_plain("test", ["Done ✅"])
    with pytest.raises(AssertionError, match="emoji U\\+FE0F"):
        assert_plain("test", [], ["# ⚠\ufe0f"])
    with pytest.raises(AssertionError, match="internal name"):
        assert_plain("test", ["(seed article 000), example 1"])
    with pytest.raises(AssertionError, match="doubled 'Verified verified'"):
        assert_plain("test", ["Verified verified with Keras"])
    with pytest.raises(AssertionError, match="doubled 'Verified: verified'"):
        assert_plain("test", ["Verified: verified with Keras"])
    assert_plain("test", ["Shapes (2, 8) 8 → 16 · ×2"], ["x = layers.LSTM(64)  # seed=0"])


def test_cli_presets_listing_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert_plain("presets", lines)
    for preset in PRESETS:
        assert main(["summary", "--preset", preset.key]) == 0
        assert_plain(f"summary --preset {preset.key}", capsys.readouterr().out.splitlines())


def _explain_sentences() -> Iterator[str]:
    """The sentences of `bilstm_lab.core.explain` no default page shows, over their cases."""
    for ok, mismatched in ((True, 0), (False, 3)):
        for with_torch in (True, False):
            yield explain.verification_summary(ok, 12, mismatched, with_torch)
    for names in (("bi_gru_2", "head"), ("top",)):
        yield explain.fresh_layers(names)
        yield explain.fresh_layers(names, markdown=True)
    for cell in Cell:
        spec = ModelSpec(cell=cell, units=(8, 8), merge_mode=MergeMode.CONCAT)
        yield explain.describe(spec)
        yield explain.torch_difference(spec)
        yield explain.torch_difference(spec.with_changes(use_bias=False))
        for ratio in compare(spec).layer_ratios():
            yield explain.layer_growth(ratio)
    yield explain.torch_difference(ModelSpec(cell=Cell.GRU, reset_after=False))
    yield explain.forward_check({}, 1e-5)
    yield explain.forward_check({"bi_lstm": 1e-7}, 1e-5)
    yield explain.forward_check({"lstm": 1e-7}, 1e-5, unwrapped=True)
    for fate in ("kept", "dropped", "not compiled"):
        yield explain.compile_settings(fate, "optimizer Adam, loss mse", "loss", "my_loss")
    yield explain.conversion_check(2048, ((2, 12, 6),), ((2, 12, 3),))
    yield explain.queue_position(2, 3, 3)
    yield explain.queue_position(None, 3, 3)
    yield explain.job_failed("The check", ValueError("x"))
    yield explain.JOB_INTERRUPTED.format(what="The check")
    yield explain.JOB_LEFT_QUEUE.format(what="The conversion")
    yield explain.UNBUILT_MODEL
    yield explain.shared_layer("dense", 2)
    yield explain.return_state_refused("lstm")
    yield explain.go_backwards_refused("lstm")
    yield explain.merge_none_refused("lstm")
    yield explain.cannot_rewire("dense", "Dense", "(None, 16)")
    yield explain.unknown_layers("recurrent layers", ["lstm"], ["nope"])
    yield explain.nothing_to_wrap("m", "Dense")
    yield explain.nothing_to_unwrap("m")
    yield explain.check_failed(explain.check_forward_mismatch("bi_lstm", 0.1, 1e-5))
    yield explain.PITFALL_INTERRUPTED
    yield explain.TRAINING_INTERRUPTED
    yield explain.TRAINING_LEFT_QUEUE


def test_explain_sentences_are_plain() -> None:
    sentences = list(_explain_sentences())
    assert_plain("explain", sentences)
    # One verdict line for the Explorer and the CLI, capitalised at the source: no prefix needed.
    assert explain.verification_summary(True, 12, 0, False) == (
        "Verified with Keras: all 12 numbers agree"
    )
    assert explain.fresh_layers(("bi_gru_2", "head")) == (
        "Freshly initialised — retrain these: bi_gru_2, head"
    )
