"""The lab's input errors, and the one range/type check every validator uses.

An `InputError` names the field the user knows (``units``, ``samples``, ``file``) and its
message ends with the value received, so the UI, the CLI and the notebook API can show it as
one readable line. These classes live in `core` because errors raised in a worker process are
pickled back to the Streamlit server: unpickling must not import Keras there.
"""

from __future__ import annotations

import math
import re
from typing import Any

# ANSI escape sequences (Keras colours some messages) and the other control characters a file's
# layer names could carry: none of them may reach a terminal or a page.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` without ANSI codes or control characters, its whitespace runs made one space."""
    return " ".join(_CONTROL.sub(" ", _ANSI.sub("", text)).split())


class InputError(ValueError):
    """A value the lab cannot use; the message names the field and ends with the value.

    Attributes:
        field: the name of the offending field, as the user knows it (e.g. ``"units"``).
    """

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle their ``args`` (the message only); keep the field across processes.
        return (type(self), (self.field, str(self)))


class SpecError(InputError):
    """A spec field (or combination of fields) that cannot describe a working model."""


class TaskError(InputError):
    """A toy task's knob, or a training run's setting, outside what the lab trains."""


class TooLargeToVerify(SpecError):
    """A model too large to build for verification on a shared server."""


class NotAModel(InputError):
    """A notebook API argument that should be a usable Keras model and is not (``field`` names it)."""


class UploadError(InputError):
    """A model file (upload or path) that cannot be used; ``field`` is ``"file"``."""

    def __init__(self, message: str, field_name: str = "file") -> None:
        # Messages quote file contents (names) and sometimes Keras: always one clean line.
        super().__init__(field_name, one_line(message))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.field))


class EmptyModelFile(UploadError):
    """The file has no bytes."""


class ModelFileTooLarge(UploadError):
    """The file (or its unpacked contents) exceeds the size limit."""


class NotAKerasFile(UploadError):
    """The bytes are not a Keras 3 ``.keras`` archive."""


class UnsafeModelFile(UploadError):
    """The model holds code (a Lambda layer) that ``safe_mode=True`` refuses to run."""


class CorruptModelFile(UploadError):
    """A ``.keras`` archive that Keras could not rebuild."""


class NoRecurrentLayer(UploadError):
    """A valid model with no LSTM, GRU, SimpleRNN or Bidirectional layer."""


class ConfigTooLarge(ModelFileTooLarge):
    """A config that asks Keras for more than the lab loads: too many weights or layers, nested
    too deep, or too complex to check in time (`bilstm_lab.core.config_weights`)."""


class LayerNotSizable(UploadError):
    """A layer whose weights the lab cannot count from the config, so it is not loaded."""


class NoSpaceForUpload(UploadError):
    """The server's temporary folder is full: a model file could not be unpacked or saved."""


class ConversionError(UploadError):
    """A conversion that cannot be done on this model (the message says why)."""

    def __init__(self, message: str, field_name: str = "layers") -> None:
        super().__init__(message, field_name)


class ConversionCheckFailed(ConversionError):
    """A converted model that failed its save/reload/run check: it is never written.

    Unlike a refusal (the conversion cannot be done), this means the lab built a model it cannot
    vouch for; the CLI exits 1 instead of 2.
    """

    def __init__(self, message: str, field_name: str = "model") -> None:
        super().__init__(message, field_name)


def _bound(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def check_number(
    field_name: str,
    value: Any,
    low: float,
    high: float,
    *,
    error: type[InputError] = InputError,
) -> Any:
    """Check that ``value`` is a number of the bounds' kind inside ``[low, high]``.

    Whole-number bounds (ints) demand a whole number (numpy integers count, booleans do not);
    float bounds accept any finite real number.

    Args:
        field_name: the name used in the error message.
        value: the value to check.
        low: inclusive lower bound; its type (int or float) sets the kind of number wanted.
        high: inclusive upper bound.
        error: the `InputError` subclass to raise.

    Returns:
        The value, as an ``int`` for whole-number bounds.

    Raises:
        InputError: (the given subclass) naming the field and ending with the value received.
    """
    whole = isinstance(low, int) and isinstance(high, int)
    is_number = not isinstance(value, bool) and (
        isinstance(value, int) or type(value).__name__.startswith(("int", "uint"))
        if whole
        else isinstance(value, (int, float)) or type(value).__name__.startswith("float")
    )
    if not is_number or (not whole and not math.isfinite(value)):
        kind = "a whole number" if whole else "a number"
        raise error(field_name, f"{field_name} must be {kind}, received {value!r}")
    if not low <= value <= high:
        raise error(
            field_name,
            f"{field_name} must be between {_bound(low)} and {_bound(high)}, received {value}",
        )
    return int(value) if whole else value
