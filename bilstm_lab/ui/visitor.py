"""Who is asking: this browser session's token and its client's address.

The training desk (`bilstm_lab.workers.training_desk`) needs both to apply its fairness rules.
The token lives in the session's own state (no private Streamlit API). The address is the
websocket peer's; behind the lab's nginx (``deploy/``) every peer is the proxy, so the launcher
names the header that carries the real client (``BILSTM_LAB_CLIENT_ADDRESS_HEADER``, e.g.
``X-Real-IP``). Only then is the header read: without a proxy a client could write it itself.
"""

from __future__ import annotations

import ipaddress
import os
import uuid

import streamlit as st

#: The environment variable naming a trusted proxy's client-address header (unset: none).
CLIENT_ADDRESS_HEADER_ENV = "BILSTM_LAB_CLIENT_ADDRESS_HEADER"
_TOKEN_KEY = "lab_session_token"
#: The server's own machine, as Streamlit counts it (its ``st.context.ip_address`` rule).
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})
#: Longest address accepted from the header (IPv6 with a zone fits; anything longer is junk).
_MAX_ADDRESS = 64


def session_token() -> str:
    """A random token naming this browser session (made on its first use)."""
    token = st.session_state.get(_TOKEN_KEY)
    if not isinstance(token, str):
        token = st.session_state[_TOKEN_KEY] = uuid.uuid4().hex
    return token


def normalized_address(text: str | None) -> str | None:
    """``text`` as one canonical address; None for the server's own machine.

    Under ``python -m bilstm_lab app`` (uvicorn) a local browser arrives as
    ``::ffff:127.0.0.1``, not the ``127.0.0.1`` Streamlit's own check knows: an IPv4 address
    mapped into IPv6 is read as the IPv4 one. Only 127.0.0.1 and ::1 are this machine (the
    tests speak from 127.0.0.2 and up as other computers). Text that is no address is kept
    as it is, cut short.
    """
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return text.strip()[:_MAX_ADDRESS] or None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    canonical = str(address)
    return None if canonical in LOCAL_ADDRESSES else canonical


def client_address() -> str | None:
    """The client's address; None for the server's own machine (``localhost``)."""
    header = os.environ.get(CLIENT_ADDRESS_HEADER_ENV, "").strip()
    if header:
        forwarded = st.context.headers.get(header, "")
        # A proxy that appends (X-Forwarded-For) puts the client first.
        first = forwarded.split(",")[0].strip()[:_MAX_ADDRESS]
        if first:
            return normalized_address(first)
    return normalized_address(st.context.ip_address)
