"""Widgets and helpers shared by every page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st


def page_setup(title: str, icon: str = "🔁") -> None:
    """Configure the page (title, icon, wide layout). Call first on every page.

    Args:
        title: the page's name, shown in the browser tab as ``<title> · BiLSTM Lab``.
        icon: an emoji for the tab.
    """
    keep_keras_state_between_reruns()
    st.set_page_config(page_title=f"{title} · BiLSTM Lab", page_icon=icon, layout="wide")


def show_input_error(error: ValueError) -> None:
    """Show a validation error as a readable message (never a traceback)."""
    st.error(f"⚠️ {error}")


#: The lab's pages: file-name prefix under ``pages/``, label, icon, one-line description.
#: Material icons rather than emoji: they render on every machine (kiosk Chromium has no emoji font).
PAGES: tuple[tuple[str, str, str, str], ...] = (
    (
        "1_",
        "Architecture Explorer",
        ":material/search:",
        "LSTM and BiLSTM side by side: shapes, parameters with formulas, diagrams, code.",
    ),
    (
        "2_",
        "Training Lab",
        ":material/model_training:",
        "Both variants trained live on toy tasks: where does the future context help?",
    ),
    (
        "3_",
        "Convert",
        ":material/swap_horiz:",
        "Turn a saved model's LSTMs into BiLSTMs, with a per-layer report.",
    ),
    (
        "4_",
        "Pitfalls",
        ":material/warning:",
        "The classic mistakes, each demonstrated live by real Keras.",
    ),
)

ROOT = Path(__file__).resolve().parent.parent.parent


def existing_pages() -> list[tuple[str | None, str, str, str]]:
    """Each of `PAGES` with its script path relative to the app root, or ``None`` if not built.

    Pages are built by different people at different times; linking to a missing file would
    raise, so the home page links only to what exists.
    """
    found = []
    for prefix, label, icon, description in PAGES:
        matches = sorted((ROOT / "pages").glob(f"{prefix}*.py"))
        path = f"pages/{matches[0].name}" if matches else None
        found.append((path, label, icon, description))
    return found


def keep_keras_state_between_reruns() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit's script runner (``script_runner._clean_problem_modules``, 1.67) clears the Keras
    session whenever *any* session's script run ends. In a shared server that resets
    TensorFlow's default graph and kernel cache under every other session's running training
    (the Training Lab's background jobs stalled in endless retracing), which is exactly the
    global-state reset DESIGN.md forbids. This keeps Streamlit's other clean-up (closing
    matplotlib figures) and drops only the Keras part. Idempotent; a no-op if Streamlit's
    internals change shape.
    """
    import contextlib
    import sys

    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - Streamlit reorganised its internals
        return
    current = getattr(script_runner, "_clean_problem_modules", None)
    if current is None or getattr(current, "_keeps_keras_state", False):
        return

    def clean_without_keras() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            # Same tolerance as Streamlit's own clean-up: never fail a script run over this.
            with contextlib.suppress(Exception):
                plt.close("all")

    clean_without_keras._keeps_keras_state = True  # type: ignore[attr-defined]
    script_runner._clean_problem_modules = clean_without_keras
