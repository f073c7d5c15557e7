"""Checks on the words a page shows, shared by the AppTest and the browser tests."""

from __future__ import annotations

import unicodedata


def emoji_in(text: str) -> list[str]:
    """The characters of ``text`` a kiosk Chromium without an emoji font draws as empty boxes.

    Other symbols ("So": ✅, ⏳, ⚠ …) and the emoji variation selector U+FE0F. Arrows, ``×``
    and ``·`` are math or punctuation and are in every font.
    """
    return [ch for ch in text if unicodedata.category(ch) == "So" or ch == "\ufe0f"]
