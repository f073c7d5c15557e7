"""Whole-number deployment settings read from environment variables (standard library only).

The upload limit, the worker count and the worker memory ceiling all follow one rule: unset
means the default, a bad value warns and falls back (a typo in a deployment must not stop
the server), a good one is used.
"""

from __future__ import annotations

import warnings


def whole_number_setting(value: str | None, low: int, high: int, default: int, warning: str) -> int:
    """``value`` as a whole number in ``low..high``; ``default`` if unset, or if bad (warns).

    Args:
        value: the environment variable's text, or ``None`` when it is not set.
        low: the smallest value accepted.
        high: the largest value accepted.
        default: what unset or bad values give.
        warning: the message a bad value warns with (it names the variable and the range).
    """
    if value is None or not value.strip():
        return default
    try:
        number: int | None = int(value.strip())
    except ValueError:
        number = None
    if number is not None and low <= number <= high:
        return number
    warnings.warn(warning, RuntimeWarning, stacklevel=3)
    return default
