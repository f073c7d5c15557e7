"""Widgets and helpers shared by every page."""

from __future__ import annotations

import streamlit as st


def page_setup(title: str, icon: str = "🔁") -> None:
    """Configure the page (title, icon, wide layout). Call first on every page.

    Args:
        title: the page's name, shown in the browser tab as ``<title> · BiLSTM Lab``.
        icon: an emoji for the tab.
    """
    st.set_page_config(page_title=f"{title} · BiLSTM Lab", page_icon=icon, layout="wide")


def show_input_error(error: ValueError) -> None:
    """Show a validation error as a readable message (never a traceback)."""
    st.error(f"⚠️ {error}")
