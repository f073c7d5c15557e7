"""The guards against widget values no browser would send (issue 15).

A hand-made websocket `rerun_script` message can give a widget any value: a string for a
toggle, NaN for a number box, a float for a segmented control. Streamlit deserialises such a
value to run the changed widgets' callbacks (before the app's script starts) and when the page
registers the widget; either error would end the run in Streamlit's error box.

- `run_page`, the page runner, catches the error during the page's run;
- `on_script_error`, the `st.App` error handler (`bilstm_lab.ui.asgi_app`), the one before it.

An error counts as a client's value when the traceback's innermost frame is Streamlit's and one
of its frames is a widget's (de)serialiser or Streamlit's session state registering a widget.
Then that widget's state is dropped and the page shows `explain.CONTROL_RESET` above its
default. Every other exception, a real bug of the lab included, propagates unchanged. Nothing
the client sent is logged: only the exception's type and a count.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from types import TracebackType

import streamlit as st

from bilstm_lab.core import explain

_LOGGER = logging.getLogger(__name__)

#: Streamlit's package folder, and the folder of its widget-state code inside it.
STREAMLIT_DIR = Path(st.__file__).resolve().parent
STATE_DIR = STREAMLIT_DIR / "runtime" / "state"
#: Functions of Streamlit's state code that register a widget with the client's value.
WIDGET_STATE_FUNCTIONS = frozenset({"register_widget", "get_serialized"})
#: Functions of Streamlit's widgets that turn a client's value into a widget's, and back.
CONVERTERS = frozenset({"deserialize", "serialize"})
#: The errors a deserialiser raises on a value of the wrong kind.
VALUE_ERRORS = (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError)
#: Session key: the last run dropped a widget state (the next one says so).
RESET_FLAG = "_lab_control_reset"


def _frames(tb: TracebackType | None) -> list[TracebackType]:
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames


def _in(path: str, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def is_client_value_error(error: BaseException) -> bool:
    """Whether ``error`` is a widget value Streamlit could not (de)serialise, not a lab bug.

    True when the innermost frame is Streamlit's (no lab code raised it) and the chain passes
    through a widget's (de)serialiser or Streamlit's session state registering a widget. A
    missing key the lab reads (a KeyError from the session state alone) is not one.
    """
    if not isinstance(error, VALUE_ERRORS):
        return False
    frames = _frames(error.__traceback__)
    if not frames or not _in(frames[-1].tb_frame.f_code.co_filename, STREAMLIT_DIR):
        return False
    for frame in frames:
        code = frame.tb_frame.f_code
        if code.co_name in CONVERTERS and _in(code.co_filename, STREAMLIT_DIR):
            return True
        if code.co_name in WIDGET_STATE_FUNCTIONS and _in(code.co_filename, STATE_DIR):
            return True
    return False


def _user_key(name: str) -> str | None:
    """The app's key in a Streamlit element id (``$$ID-<hash>-<key>``); None if it has none."""
    if not name.startswith("$$ID-"):
        return name
    key = name.split("-", maxsplit=2)[-1]
    return None if key == "None" else key


def offending_keys(error: BaseException) -> list[str]:
    """The session keys of the widgets whose values broke the run.

    Read from the traceback's frames in Streamlit's state code, not from the session state
    (listing it would deserialise the bad value again): the widget being registered
    (``user_key``), or the widget whose stored value was being read (``widget_id``, ``k``).
    """
    keys: list[str] = []
    for frame in _frames(error.__traceback__):
        if not _in(frame.tb_frame.f_code.co_filename, STATE_DIR):
            continue
        local = frame.tb_frame.f_locals
        for name in ("user_key", "widget_id", "k"):
            value = local.get(name)
            key = _user_key(value) if isinstance(value, str) and value else None
            if key is not None and key not in keys:
                keys.append(key)
    return keys


def _drop(keys: list[str]) -> int:
    dropped = 0
    for key in keys:
        # Deleting checks that the key exists by reading it, which would deserialise the bad
        # value again: a plain value set first answers that read, then both go.
        # (Setting fails when the widget is already drawn in this run: its value deserialised.)
        with contextlib.suppress(st.errors.StreamlitAPIException):
            st.session_state[key] = None
        try:
            del st.session_state[key]
        except (*VALUE_ERRORS, st.errors.StreamlitAPIException):
            continue  # not removable through st.session_state: reported as not dropped
        dropped += 1
    return dropped


def on_script_error(error: Exception) -> bool:
    """`st.App`'s ``on_script_error``: a client's widget value that broke the run before the page.

    Streamlit deserialises the values a message carries, to find the changed widgets and run
    their callbacks, before the app's script starts, so `run_page` never sees those errors.
    Here the offending states are dropped, the lab's message is shown, and the page is drawn
    with the defaults; any other error keeps Streamlit's own display (a real bug stays seen).

    Returns:
        True when the error was a client's value and the lab showed its own message.
    """
    if not is_client_value_error(error):
        return False
    dropped = _drop(offending_keys(error))
    _LOGGER.warning(
        "A client sent a widget value no control can hold (%s, before the script); "
        "dropped %d widget state(s).",
        type(error).__name__,
        dropped,
    )
    st.warning(explain.CONTROL_RESET, icon=":material/restart_alt:")
    from bilstm_lab.ui.common import declare_pages  # common imports Streamlit pages only

    try:
        run_page(declare_pages())
    except Exception:
        raise
    except BaseException as control:  # st.rerun / st.stop inside the page: the run ends here
        if isinstance(control, KeyboardInterrupt | SystemExit):
            raise
    return True


def run_page(page: st.Page) -> None:
    """Run ``page``; a widget value no control can hold is dropped and the page reruns.

    Raises:
        Exception: every error that is not a client's widget value, unchanged.
    """
    after_reset = bool(st.session_state.pop(RESET_FLAG, False))
    if after_reset:
        st.warning(explain.CONTROL_RESET, icon=":material/restart_alt:")
    try:
        page.run()
    except VALUE_ERRORS as error:
        if not is_client_value_error(error):
            raise
        dropped = _drop(offending_keys(error))
        # Length and type only: never the client's value (it may be megabytes, or a trap).
        _LOGGER.warning(
            "A client sent a widget value no control can hold (%s); dropped %d widget state(s).",
            type(error).__name__,
            dropped,
        )
        if not dropped or after_reset:  # say so instead of rerunning forever
            st.warning(explain.CONTROL_RESET, icon=":material/restart_alt:")
            return
        st.session_state[RESET_FLAG] = True
        st.rerun()
