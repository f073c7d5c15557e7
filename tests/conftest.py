"""Shared test settings: quiet TensorFlow, and the path to the repository root."""

from __future__ import annotations

import gc
import os

from labharness.paths import ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__all__ = ["ROOT"]


def pytest_collection_finish(session: object) -> None:
    """Freeze everything imported while collecting (TensorFlow's heap above all).

    The real server never imports TensorFlow, but this test process does; every garbage
    collection then walked TensorFlow's millions of objects, which made each AppTest rerun
    ~2.5× slower (tests/test_hostile_pages.py: 38 s → 15 s frozen). Frozen objects are only
    skipped by the collector; nothing about the code under test changes.
    """
    del session
    gc.freeze()
