"""The app as an `st.App`: what ``python -m bilstm_lab app`` runs (`bilstm_lab.ui.launch`).

`st.App` is Streamlit's documented way to give the app an ``on_script_error`` handler and
its own ASGI middleware (issue 15):

- `bilstm_lab.ui.guard.on_script_error` turns a widget value no browser would send, which
  Streamlit rejects before the page's script starts, into the lab's own message;
- `ClassroomGuard` answers ``/_stcore/metrics`` with 404 (it lists the server's sessions and
  memory to anyone) and drops Streamlit's ``clear_cache`` websocket message, which any client
  can send even with the viewer toolbar, and which would clear every cache of the server
  (the Pitfalls results, the worker pool's handle) for every student;
- on each websocket it keeps a `WidgetBook` (`bilstm_lab.ui.widget_filter`): the widgets drawn
  on that connection, learnt from the messages going out, so incoming widget states that fit
  none of them are dropped before Streamlit reads them.

The pages themselves are `bilstm_lab.ui.app`, unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware
from streamlit.proto.BackMsg_pb2 import BackMsg

from bilstm_lab.ui.guard import on_script_error
from bilstm_lab.ui.widget_filter import WidgetBook

#: Paths below the app's root that the guard closes or filters.
METRICS_PATH = "/_stcore/metrics"
STREAM_PATH = "/_stcore/stream"


def is_clear_cache(data: bytes | None) -> bool:
    """Whether a websocket frame is Streamlit's ``clear_cache`` BackMsg."""
    if not data:
        return False
    message = BackMsg()
    try:
        message.ParseFromString(data)
    except Exception:  # not a BackMsg at all: Streamlit itself closes the connection
        return False
    return message.WhichOneof("type") == "clear_cache"


class ClassroomGuard:
    """ASGI middleware: no metrics endpoint, no client-sent cache clearing."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path.endswith(METRICS_PATH):
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"Not found"})
            return
        if scope["type"] == "websocket" and path.endswith(STREAM_PATH):
            book = WidgetBook()

            async def receive_checked() -> Any:
                while True:
                    message = await receive()
                    if message.get("type") != "websocket.receive":
                        return message
                    data = message.get("bytes")
                    if is_clear_cache(data):
                        continue
                    if data:
                        message = {**message, "bytes": book.clean(data)}
                    return message

            async def send_noted(message: Any) -> None:
                if message.get("type") == "websocket.send" and message.get("bytes"):
                    book.learn(message["bytes"])
                await send(message)

            await self.app(scope, receive_checked, send_noted)
            return
        await self.app(scope, receive, send)


app = st.App(
    Path(__file__).resolve().parent / "app.py",
    on_script_error=on_script_error,
    middleware=[Middleware(ClassroomGuard)],
)
