"""Shared test settings: quiet TensorFlow, and the path to the repository root."""

from __future__ import annotations

import os

from labharness.paths import ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__all__ = ["ROOT"]
