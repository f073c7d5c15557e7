"""Client addresses as the training desk counts them (`bilstm_lab.ui.visitor`)."""

from __future__ import annotations

import pytest

from bilstm_lab.ui.visitor import normalized_address


@pytest.mark.parametrize(
    ("seen", "counted"),
    [
        ("::ffff:127.0.0.1", None),  # a local browser under uvicorn (st.App)
        ("127.0.0.1", None),
        ("::1", None),
        (None, None),
        ("", None),
        ("127.0.0.2", "127.0.0.2"),  # another computer, as the tests speak
        ("::ffff:10.0.0.7", "10.0.0.7"),
        ("10.0.0.7", "10.0.0.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("not an address", "not an address"),
        ("x" * 500, "x" * 64),
    ],
)
def test_addresses_are_counted_once_each_and_the_servers_own_not_at_all(
    seen: str | None, counted: str | None
) -> None:
    assert normalized_address(seen) == counted
