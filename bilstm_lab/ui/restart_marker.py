"""Telling a page that its training was lost to a server restart (issue 15).

A restart ends every session: the browser reconnects to a fresh one that knows nothing of the
run it had. So a page that starts a training writes this server run's id into its URL
(``?job=…``, `bilstm_lab.core.train_fields.JOB_MARKER`); the reconnected page still has that
URL, finds a different id and no run of its own, and says the run must be started again. The
marker is then dropped. A link copied from such a page carries it too, which is why the words
speak of "the page this link comes from".
"""

from __future__ import annotations

import re
import uuid

import streamlit as st

from bilstm_lab.core.train_fields import JOB_MARKER

#: This server run's id (a fresh one per server process: that is what a restart changes).
SERVER_RUN = uuid.uuid4().hex[:8]
_MARKER_FORMAT = re.compile(r"[0-9a-f]{8}")


def remember() -> None:
    """This page has a training on this server run: mark its URL."""
    if st.query_params.get(JOB_MARKER) != SERVER_RUN:
        st.query_params[JOB_MARKER] = SERVER_RUN


def lost_to_restart(has_run: bool) -> bool:
    """Whether the URL says this page had a training on an earlier server run.

    Keeps the marker while the page ``has_run`` (a job or a result) on this server run, and
    drops any other (a stale id once reported, or a value no server ever wrote).
    """
    marker = st.query_params.get(JOB_MARKER)
    if marker is None:
        return False
    if has_run:
        remember()
        return False
    del st.query_params[JOB_MARKER]
    return bool(_MARKER_FORMAT.fullmatch(marker)) and marker != SERVER_RUN
