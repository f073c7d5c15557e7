"""Run a coroutine to completion from synchronous test code, whatever loop is running."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a worker thread; blocks until it is done.

    The sync Playwright fixtures keep their own event loop running in the test's thread, and
    ``asyncio.run`` refuses to start inside a running loop: a fresh thread has none.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
