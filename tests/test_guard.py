"""The page guard (issue 15): only a client's widget value counts, never a bug of the lab."""

from __future__ import annotations

import pytest
from streamlit.elements.widgets.select_slider import SelectSliderSerde

from bilstm_lab.ui.asgi_app import is_clear_cache
from bilstm_lab.ui.guard import is_client_value_error, offending_keys


def _caught(function: object, *args: object) -> BaseException:
    with pytest.raises(Exception) as raised:
        function(*args)  # type: ignore[operator]
    return raised.value


def test_a_value_streamlits_deserialiser_cannot_read_is_a_client_value() -> None:
    serde = SelectSliderSerde(
        ["a", "b"], formatted_option_to_index={"a": 0, "b": 1}, default_indices=[0]
    )
    error = _caught(serde.deserialize, 1.5)  # a float where the browser sends a list of strings
    assert is_client_value_error(error)


def test_an_error_of_the_lab_is_not_a_client_value() -> None:
    def lab_bug() -> None:
        raise TypeError("the lab's own mistake")

    assert not is_client_value_error(_caught(lab_bug))
    assert not is_client_value_error(_caught(dict().__getitem__, "missing"))
    assert not is_client_value_error(RuntimeError("no traceback"))


def test_offending_keys_come_from_the_traceback_not_the_value() -> None:
    def register_widget(user_key: str) -> None:  # named like Streamlit's, but not in its state code
        raise TypeError("x")

    assert offending_keys(_caught(register_widget, "ex_cell")) == []


def test_only_streamlits_clear_cache_message_is_filtered() -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    clear, rerun = BackMsg(), BackMsg()
    clear.clear_cache = True
    rerun.rerun_script.query_string = ""
    assert is_clear_cache(clear.SerializeToString())
    assert not is_clear_cache(rerun.SerializeToString())
    assert not is_clear_cache(b"\xff\xff not a message")
    assert not is_clear_cache(None)
