"""Streamlit's own websocket protocol, as a browser speaks it (no browser).

One script run's messages (`read_run`), the `rerun_script` message a browser sends (`rerun_message`)
and the websocket it opens (`connect`): shared by the load client (`labharness.ws_client`), the
hostile-message fuzzer (`labharness.ws_hostile`) and the Training Lab client
(`labharness.ws_training`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

#: Longest wait for the server's next message (a longer silence is a hung session).
TIMEOUT_S = 120


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
    progress: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    query_string: str | None = None
    seconds: float = 0.0


def _widget(element: object, kind: str) -> Widget | None:
    inner = getattr(element, kind)
    widget_id = getattr(inner, "id", "")
    if not isinstance(widget_id, str) or not widget_id:
        return None
    options = getattr(inner, "options", None)
    return Widget(kind, widget_id, len(options) if options is not None else 0)


async def read_run(ws: websockets.ClientConnection, timeout: float = TIMEOUT_S) -> Run:
    """Forward messages until the script run ends (after any st.rerun it asked for); each
    message must come within ``timeout`` seconds."""
    run = Run()
    started = time.monotonic()
    while True:
        message = ForwardMsg()
        message.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
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
            elif element_kind == "progress":
                run.progress.append(element.progress.text)
            elif element_kind == "markdown":
                run.captions.append(element.markdown.body)
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


def connect(port: int, from_address: str | None = None) -> websockets.connect:
    """A websocket to the server on ``port``, as a browser on the same origin opens it.

    ``from_address`` (e.g. ``"127.0.0.2"``: all of 127.0.0.0/8 is this machine) makes the
    server see another client address, as a second computer would be.
    """
    where: dict[str, Any] = {"local_addr": (from_address, 0)} if from_address else {}
    return websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=[websockets.Subprotocol("streamlit")],
        origin=websockets.Origin(f"http://127.0.0.1:{port}"),
        max_size=None,
        **where,
    )
