"""BiLSTM Lab: see exactly what changes when a recurrent layer becomes bidirectional.

The notebook API is importable from here — ``bilstm_lab.compare``, ``bilstm_lab.inspect_model``,
``bilstm_lab.to_bidirectional`` (see `bilstm_lab.api`) — but loaded on first use, so that
``import bilstm_lab`` (and the web server, and the CLI) never pays for TensorFlow it does not use.
"""

from __future__ import annotations

from typing import Any

#: The notebook API's names, served from `bilstm_lab.api` when first asked for.
_API_NAMES = ("compare", "inspect_model", "to_bidirectional")
__all__ = list(_API_NAMES)


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        from bilstm_lab import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API_NAMES])
