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
from streamlit.proto.WidgetStates_pb2 import WidgetState

from labharness.async_run import run_async
from labharness.ws_protocol import TIMEOUT_S, Run, Widget, connect, read_run, rerun_message

#: Shares of the cases that are a hostile query string, or a malformed frame (the rest are
#: hostile widget values).
QUERY_SHARE = 0.15
MALFORMED_SHARE = 0.05

#: Every page of the lab: (page name in the rerun message, text its title contains).
PAGES: tuple[tuple[str, str], ...] = (
    ("", "BiLSTM Lab"),
    ("Architecture_Explorer", "Architecture Explorer"),
    ("Training_Lab", "Training Lab"),
    ("Convert", "Convert a model"),
    ("Pitfalls", "Pitfalls"),
)


@dataclass
class Tally:
    """Counts over a fuzzing session.

    ``cases`` counts every hostile message: widget values (``by_kind["values"]``), hostile
    query strings (``"query"``) and malformed frames (``"malformed"``). A malformed frame may
    cost its own connection (``closed_malformed``, expected); everything else must end in the
    lab's page: no exception element, the title drawn, no hang, the bystander unchanged.
    """

    cases: int = 0
    exceptions: int = 0
    missing_title: int = 0
    closed: int = 0
    hung: int = 0
    closed_malformed: int = 0
    bystander_changed: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_page: Counter[str] = field(default_factory=Counter)
    failed_by_page: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


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


_QUERY_PARTS = [
    "units=NaN",
    "units=inf",
    "units=-1",
    "units=99999999999999999999",
    "layers=0",
    "layers=1e9",
    "merge_mode=%00",
    "preset=../../etc/passwd",
    "preset=" + "x" * 3000,
    "cell=%F0%9F%98%80",
    "seq_len=",
    "task=<script>",
    "seed=-5",
    "samples=1e400",
    "lock=2",
    "present=maybe",
    "quiz=%",
    "job=zzzzzzzz",
    "job=0123abcd",
    "%%%",
    "=",
    "&&&",
    "a" * 500 + "=1",
]


def hostile_query(rng: random.Random) -> str:
    """A query string no page link ever had: junk values, repeats, unknown keys, bad escapes."""
    return "&".join(rng.choice(_QUERY_PARTS) for _ in range(rng.randint(1, 4)))


def malformed_frame(rng: random.Random) -> bytes:
    """Bytes that are no valid BackMsg, or a valid one of a kind no page expects."""
    valid = rerun_message("", "", [])
    choice = rng.randrange(5)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if choice == 1:
        return valid[: rng.randint(1, max(1, len(valid) - 1))]
    if choice == 2:
        return b"\xff" * rng.randint(1, 32)
    message = BackMsg()
    if choice == 3:
        message.rerun_script.page_name = rng.choice(["no_such_page", "../x", "\x00", "p" * 300])
    else:
        message.stop_script = True
    return message.SerializeToString()


# ------------------------------------------------------------------ the fuzzing session

#: The bystander: an Explorer session with its own model, checked after the fuzzing.
BYSTANDER_PAGE = "Architecture_Explorer"
BYSTANDER_UNITS = 71.0


async def _bystander_open(
    port: int,
) -> tuple[websockets.ClientConnection, str, list[WidgetState], Run]:
    ws = await connect(port)
    await ws.send(rerun_message(BYSTANDER_PAGE, "", []))
    first = await read_run(ws)
    units = WidgetState(id=first.labels["units, layer 1"], double_value=BYSTANDER_UNITS)
    await ws.send(rerun_message(BYSTANDER_PAGE, first.query_string or "", [units]))
    changed = await read_run(ws)
    return ws, changed.query_string or "", [units], changed


async def _bystander_same(
    ws: websockets.ClientConnection, query: str, states: list[WidgetState], before: Run
) -> bool:
    await ws.send(rerun_message(BYSTANDER_PAGE, query, states))
    after = await asyncio.wait_for(read_run(ws), TIMEOUT_S)
    return bool(before.metrics) and after.metrics == before.metrics and not after.exceptions


async def _malformed_case(port: int, rng: random.Random, tally: Tally) -> None:
    """One malformed frame on a fresh connection; then a fresh page must still be served."""
    tally.cases += 1
    tally.by_kind["malformed"] += 1
    try:
        async with connect(port) as ws:
            await ws.send(rerun_message("", "", []))
            await read_run(ws)
            await ws.send(malformed_frame(rng))
            await ws.send(rerun_message("", "", []))
            run = await read_run(ws)
            if run.exceptions:
                tally.exceptions += 1
                tally.failures.append("malformed frame: exception element")
    except websockets.ConnectionClosed:
        tally.closed_malformed += 1
    except TimeoutError:
        tally.hung += 1
        tally.failures.append("malformed frame: the session hung")
    async with connect(port) as probe:
        await probe.send(rerun_message("", "", []))
        if not (await read_run(probe)).titles:
            tally.missing_title += 1
            tally.failures.append("after a malformed frame: a new session got no page")


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
                done += 1
                if rng.random() < MALFORMED_SHARE:
                    await _malformed_case(port, rng, tally)
                    continue
                hostile_url = rng.random() < QUERY_SHARE
                states = [] if hostile_url else hostile_states(rng, widgets)
                tally.cases += 1
                tally.by_kind["query" if hostile_url else "values"] += 1
                tally.by_page[page or "Home"] += 1
                try:
                    await ws.send(
                        rerun_message(page, hostile_query(rng) if hostile_url else query, states)
                    )
                    run = await read_run(ws)
                except websockets.ConnectionClosed:
                    tally.closed += 1
                    tally.failures.append(f"{page or 'Home'}: the server closed the connection")
                    break
                except TimeoutError:
                    tally.hung += 1
                    tally.failures.append(f"{page or 'Home'}: the session hung")
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
    bystander, query, states, before = await _bystander_open(port)
    try:
        await asyncio.gather(
            *(
                _fuzz_page(port, page, title, count, seed, tally)
                for (page, title), count in zip(pages, per_page, strict=True)
            )
        )
        if not await _bystander_same(bystander, query, states, before):
            tally.bystander_changed += 1
            tally.failures.append("the bystander's page changed")
    finally:
        await bystander.close()
    tally.seconds = time.monotonic() - started
    return tally


def fuzz(port: int, cases: int, seed: int = 0, pages: tuple[tuple[str, str], ...] = PAGES) -> Tally:
    """Send ``cases`` hostile rerun messages, spread over ``pages``, to the server on ``port``."""
    return run_async(_fuzz(port, cases, seed, pages))
