"""Hostile widget values over Streamlit's own websocket protocol (issue 15).

A browser only sends what its widgets allow; a hand-written `rerun_script` BackMsg can carry
anything: NaN and infinities for a number box, a string for a toggle, an option no select box
has, the id of no widget at all. `fuzz` opens each page, learns its widgets from the elements
the server sends, and replays a seeded sample of such values, recording for every run whether
a ForwardMsg carried an exception element (Streamlit's error box) and whether the page still
drew its title. Used by ``tests/test_hostile_websocket.py`` (a small sample) and
``bench/ws_fuzz.py`` (thousands).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from labharness.async_run import run_async

TIMEOUT_S = 120

#: Every page of the lab: (page name in the rerun message, text its title contains).
PAGES: tuple[tuple[str, str], ...] = (
    ("", "BiLSTM Lab"),
    ("Architecture_Explorer", "Architecture Explorer"),
    ("Training_Lab", "Training Lab"),
    ("Convert", "Convert a model"),
    ("Pitfalls", "Pitfalls"),
)


@dataclass
class Widget:
    """A widget as the server described it: its element kind, id and option count."""

    kind: str
    id: str
    options: int = 0


@dataclass
class Run:
    """What one script run sent back."""

    widgets: dict[str, Widget] = field(default_factory=dict)
    exceptions: int = 0
    titles: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    query_string: str | None = None
    seconds: float = 0.0


@dataclass
class Tally:
    """Counts over a fuzzing session."""

    cases: int = 0
    exceptions: int = 0
    missing_title: int = 0
    closed: int = 0
    by_page: Counter[str] = field(default_factory=Counter)
    failed_by_page: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _widget(element: object, kind: str) -> Widget | None:
    inner = getattr(element, kind)
    widget_id = getattr(inner, "id", "")
    if not isinstance(widget_id, str) or not widget_id:
        return None
    options = getattr(inner, "options", None)
    return Widget(kind, widget_id, len(options) if options is not None else 0)


async def read_run(ws: websockets.ClientConnection) -> Run:
    """Forward messages until the script run ends (after any st.rerun it asked for)."""
    run = Run()
    started = time.monotonic()
    while True:
        message = ForwardMsg()
        message.ParseFromString(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            element_kind = element.WhichOneof("type")
            if element_kind == "exception":
                run.exceptions += 1
            elif element_kind == "heading":
                run.titles.append(element.heading.body)
            elif element_kind == "alert":
                run.warnings.append(element.alert.body)
            elif element_kind == "metric":
                run.metrics[element.metric.label] = element.metric.body
            elif element_kind is not None:
                widget = _widget(element, element_kind)
                if widget is not None:
                    run.widgets[widget.id] = widget
                    run.labels[str(getattr(getattr(element, element_kind), "label", ""))] = (
                        widget.id
                    )
        elif kind == "page_info_changed":
            run.query_string = message.page_info_changed.query_string
        elif (
            kind == "script_finished"
            and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            run.seconds = time.monotonic() - started
            return run


def rerun_message(page: str, query: str, states: list[WidgetState]) -> bytes:
    """A `rerun_script` BackMsg for ``page`` carrying ``states``."""
    message = BackMsg()
    message.rerun_script.query_string = query
    message.rerun_script.page_name = page
    message.rerun_script.widget_states.widgets.extend(states)
    return message.SerializeToString()


def connect(port: int) -> websockets.connect:
    """A websocket to the server on ``port``, as a browser on the same origin opens it."""
    return websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=[websockets.Subprotocol("streamlit")],
        origin=websockets.Origin(f"http://127.0.0.1:{port}"),
        max_size=None,
    )


# ------------------------------------------------------------------ hostile values

_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 2.0**63, -(2.0**63), 0.5, -1.0]
_STRINGS = ["", "NaN", "inf", "x" * 300, "<script>", "../../etc/passwd", "\x00", "٣", "custom "]


def _value_setters(
    rng: random.Random, widget: Widget | None
) -> list[Callable[[WidgetState], None]]:
    """Ways to fill a WidgetState with a value the browser would never send for ``widget``."""
    number = rng.choice(_NUMBERS)
    text = rng.choice(_STRINGS)
    big = rng.choice([2**63 - 1, -(2**63), 10**12, -1, 99])
    index = rng.choice([-1, 10**6, (widget.options if widget else 3) + rng.randint(0, 3)])

    def double(state: WidgetState) -> None:
        state.double_value = number

    def integer(state: WidgetState) -> None:
        state.int_value = big

    def string(state: WidgetState) -> None:
        state.string_value = text

    def boolean(state: WidgetState) -> None:
        state.bool_value = rng.random() < 0.5

    def doubles(state: WidgetState) -> None:
        state.double_array_value.data.extend([number, rng.choice(_NUMBERS)])

    def integers(state: WidgetState) -> None:
        state.int_array_value.data.extend([index, big])

    def strings(state: WidgetState) -> None:
        state.string_array_value.data.extend([text, rng.choice(_STRINGS)])

    def json(state: WidgetState) -> None:
        state.json_value = rng.choice(['{"a": 1}', "[1, 2", "null", '"x"', "1e999"])

    def raw(state: WidgetState) -> None:
        state.bytes_value = bytes(rng.randrange(256) for _ in range(8))

    def nothing(state: WidgetState) -> None:
        """No value field at all."""

    return [double, integer, string, boolean, doubles, integers, strings, json, raw, nothing]


def hostile_states(rng: random.Random, widgets: dict[str, Widget]) -> list[WidgetState]:
    """One to three hostile widget states: known widgets with wrong values, or unknown ids."""
    states = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        known = [w for w in widgets.values() if w.kind not in {"button", "download_button"}]
        widget = rng.choice(known) if known and rng.random() < 0.85 else None
        widget_id = (
            widget.id
            if widget
            else rng.choice(
                ["", "x", "$$ID-0000-None", f"$$ID-{rng.getrandbits(64):x}-ex_preset", "ex_cell"]
            )
        )
        state = WidgetState(id=widget_id)
        rng.choice(_value_setters(rng, widget))(state)
        states.append(state)
    return states


# ------------------------------------------------------------------ the fuzzing session


async def _fuzz_page(port: int, page: str, title: str, cases: int, seed: int, tally: Tally) -> None:
    rng = random.Random(f"{seed}:{page}")
    done = 0
    while done < cases:
        async with connect(port) as ws:
            await ws.send(rerun_message(page, "", []))
            run = await read_run(ws)
            widgets, query = run.widgets, run.query_string or ""
            # A few cases per connection: the server keeps the previous values between them.
            for _ in range(min(10, cases - done)):
                states = hostile_states(rng, widgets)
                done += 1
                tally.cases += 1
                tally.by_page[page or "Home"] += 1
                try:
                    await ws.send(rerun_message(page, query, states))
                    run = await read_run(ws)
                except websockets.ConnectionClosed:
                    tally.closed += 1
                    break
                widgets.update(run.widgets)
                query = run.query_string if run.query_string is not None else query
                bad = []
                if run.exceptions:
                    tally.exceptions += 1
                    bad.append("exception element")
                if not any(title in text for text in run.titles):
                    tally.missing_title += 1
                    bad.append("no title")
                if bad:
                    tally.failed_by_page[page or "Home"] += 1
                if bad and len(tally.failures) < 20:
                    sent = ", ".join(
                        f"{widgets[s.id].kind if s.id in widgets else 'unknown id'}:"
                        f"{s.WhichOneof('value')}"
                        for s in states
                    )
                    tally.failures.append(f"{page or 'Home'}: {' and '.join(bad)} after {sent}")


async def _fuzz(port: int, cases: int, seed: int, pages: tuple[tuple[str, str], ...]) -> Tally:
    tally = Tally()
    started = time.monotonic()
    per_page = [cases // len(pages) + (i < cases % len(pages)) for i in range(len(pages))]
    await asyncio.gather(
        *(
            _fuzz_page(port, page, title, count, seed, tally)
            for (page, title), count in zip(pages, per_page, strict=True)
        )
    )
    tally.seconds = time.monotonic() - started
    return tally


def fuzz(port: int, cases: int, seed: int = 0, pages: tuple[tuple[str, str], ...] = PAGES) -> Tally:
    """Send ``cases`` hostile rerun messages, spread over ``pages``, to the server on ``port``."""
    return run_async(_fuzz(port, cases, seed, pages))
