"""A Training Lab page over Streamlit's websocket protocol (no browser), from any client address.

Used by the fair-training test (six tabs of one client, another client) and by
``bench/load.py --training N`` (trainings running through the worker pool while students
explore). 127.0.0.2, 127.0.0.3, … are this machine too, but the server sees other computers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import websockets
from streamlit.proto.WidgetStates_pb2 import WidgetState

from labharness.ws_protocol import Run, connect, read_run, rerun_message

PAGE = "Training_Lab"


class TrainingTab:
    """One Training Lab page: its connection, its URL's query string, its last run."""

    def __init__(self, ws: websockets.ClientConnection, query: str, run: Run) -> None:
        self.ws, self.query, self.run = ws, query, run

    async def rerun(self, states: list[WidgetState] | None = None) -> Run:
        """Rerun the page (with ``states``), as a browser does after a change."""
        await self.ws.send(rerun_message(PAGE, self.query, states or []))
        self.run = await read_run(self.ws)
        self.query = self.run.query_string or self.query
        return self.run

    async def press(self, label: str) -> Run:
        """Click the button labelled ``label``."""
        return await self.rerun([WidgetState(id=self.run.labels[label], trigger_value=True)])

    @property
    def running(self) -> bool:
        """The live panel shows the run itself (its progress bar), not the queue line."""
        return bool(self.run.progress)

    @property
    def finished(self) -> bool:
        """The results are on the page."""
        return "Chance level" in self.run.metrics

    async def until(self, done: Callable[[TrainingTab], bool], timeout: float = 120.0) -> float:
        """Rerun every 0.25 s until ``done(self)``; the seconds it took."""
        started = time.monotonic()
        while not done(self):
            if time.monotonic() - started > timeout:
                raise TimeoutError("the page never got there")
            await asyncio.sleep(0.25)
            await self.rerun()
        return time.monotonic() - started

    async def close(self) -> None:
        """Close the page (a run it started is then abandoned, and stopped, by the pool)."""
        await self.ws.close()


async def open_training(port: int, query: str, from_address: str | None = None) -> TrainingTab:
    """Open the Training Lab at ``query`` (its settings) from ``from_address``."""
    ws = await connect(port, from_address=from_address)
    await ws.send(rerun_message(PAGE, query, []))
    run = await read_run(ws)
    return TrainingTab(ws, run.query_string or query, run)
