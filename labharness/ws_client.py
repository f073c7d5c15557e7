"""Simulated students speaking Streamlit's own websocket protocol (no browser).

A browser on a 2-core machine spends most of its time rendering, so a load test made of 40
Chromium tabs would measure Chromium, not the server. Real students bring their own machines;
this client does what their browsers send — a `rerun_script` BackMsg with the URL's query
string, then one with the changed widget value — and times the server until it reports
`script_finished` with the new totals in the page's metric elements.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from labharness.async_run import run_async
from labharness.sessions import (
    EXPLORER_PAGE,
    TOTAL_LABELS,
    UNITS_LABEL,
    SessionResult,
    expected_totals,
    session_spec,
)

TIMEOUT_S = 300


@dataclass
class Run:
    """What the server sent during one script run."""

    metrics: dict[str, str] = field(default_factory=dict)
    widget_ids: dict[str, str] = field(default_factory=dict)
    query_string: str | None = None
    finished: bool = False


def _rerun_message(query: str, widgets: list[WidgetState]) -> bytes:
    message = BackMsg()
    message.rerun_script.query_string = query
    message.rerun_script.page_name = EXPLORER_PAGE
    message.rerun_script.widget_states.widgets.extend(widgets)
    return message.SerializeToString()


async def _read_run(ws: websockets.ClientConnection) -> Run:
    """Read forward messages until the script run finishes."""
    run = Run()
    while not run.finished:
        message = ForwardMsg()
        message.ParseFromString(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            element_kind = element.WhichOneof("type")
            if element_kind == "metric":
                run.metrics[element.metric.label] = element.metric.body
            elif element_kind == "number_input":
                run.widget_ids[element.number_input.label] = element.number_input.id
        elif kind == "page_info_changed":
            # The page rewrote its URL (st.query_params); a browser sends it back next time.
            run.query_string = message.page_info_changed.query_string
        elif kind == "script_finished":
            # A run cut short by st.rerun() is followed by another: wait for the last one.
            run.finished = message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    return run


def _check_totals(run: Run, units: int, index: int) -> None:
    uni, bi = expected_totals(session_spec(index, units))
    seen = (run.metrics.get(TOTAL_LABELS[0]), run.metrics.get(TOTAL_LABELS[1]))
    if seen != (uni, bi):
        raise AssertionError(f"session {index}: expected totals {(uni, bi)}, server sent {seen}")


async def _one_change(port: int, index: int, units: int, result: SessionResult) -> None:
    """Open a session on the Explorer with ``units``, then change the units box to ``units + 1``.

    Each change gets its own connection: this client sends only the widget it changes, not the
    full widget state a browser keeps, so one change per visit is what it can do faithfully.
    """
    spec = session_spec(index, units)
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=[websockets.Subprotocol("streamlit")],
        origin=websockets.Origin(f"http://127.0.0.1:{port}"),
        max_size=None,
    ) as ws:
        query = urlencode(spec.to_query())
        started = time.monotonic()
        await ws.send(_rerun_message(query, []))
        run = await _read_run(ws)
        _check_totals(run, units, index)
        if not result.first_paint_s:
            result.first_paint_s = time.monotonic() - started
        state = WidgetState(id=run.widget_ids[UNITS_LABEL], double_value=float(units + 1))
        query = run.query_string if run.query_string is not None else query
        started = time.monotonic()
        await ws.send(_rerun_message(query, [state]))
        run = await _read_run(ws)
        _check_totals(run, units + 1, index)
        result.latencies_s.append(time.monotonic() - started)


async def ws_session(port: int, index: int, changes: int) -> SessionResult:
    """One student: ``changes`` visits to the Explorer, each changing the units once."""
    result = SessionResult(index)
    try:
        for change in range(changes):
            await _one_change(port, index, session_spec(index).units[0] + 2 * change, result)
    except Exception as error:  # reported by the caller
        result.error = f"{type(error).__name__}: {error}"[:500]
    return result


async def ws_sessions(port: int, sessions: int, changes: int) -> list[SessionResult]:
    """``sessions`` simulated students at once (inside a running event loop)."""
    return list(await asyncio.gather(*(ws_session(port, i, changes) for i in range(sessions))))


def run_ws_sessions(port: int, sessions: int, changes: int = 5) -> list[SessionResult]:
    """Run ``sessions`` simulated students at once against the server on ``port``."""
    return run_async(ws_sessions(port, sessions, changes))
