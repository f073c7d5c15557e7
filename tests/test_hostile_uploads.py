"""Hostile uploads: truncated, random, huge, wrong type, or a config that asks for a giant model.

Every one must end in a `ModelFileError` (a ValueError the page and the CLI show as one clear
message) — never another exception, never a hang, never a giant allocation that would take the
shared server down with it.
"""

from __future__ import annotations

import json
from functools import cache

import keras
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilstm_lab.core.errors import UploadError as ModelFileError
from bilstm_lab.models.model_io import (
    MAX_UPLOAD_BYTES,
    load_model_bytes,
    model_to_bytes,
)
from tests.helpers_models import rewrite_config


@cache
def small_model_bytes() -> bytes:
    """A real, small, valid ``.keras`` file with an LSTM."""
    inputs = keras.Input(shape=(5, 3), name="x")
    outputs = keras.layers.LSTM(4, name="lstm")(inputs)
    outputs = keras.layers.Dense(2, name="head")(outputs)
    return model_to_bytes(keras.Model(inputs, outputs, name="small"))


def _assert_refused(data: bytes) -> str:
    with pytest.raises(ModelFileError) as error:
        load_model_bytes(data, "upload.keras")
    message = str(error.value)
    assert message and "Traceback" not in message and len(message) < 600
    return message


def test_the_valid_file_loads() -> None:
    assert (
        load_model_bytes(small_model_bytes(), "upload.keras").count_params()
        == 4 * 4 * (3 + 4 + 1) + 10
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    _assert_refused(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(0.0, 0.999))
def test_truncated_files(fraction: float) -> None:
    data = small_model_bytes()
    _assert_refused(data[: int(len(data) * fraction)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.binary(min_size=1, max_size=64))
def test_corrupted_bytes_inside_a_valid_file(offset: int, junk: bytes) -> None:
    data = bytearray(small_model_bytes())
    offset %= len(data)
    data[offset : offset + len(junk)] = junk
    try:
        load_model_bytes(bytes(data), "upload.keras")
    except ModelFileError as error:
        assert str(error)
    # Some corruptions land in padding and leave a loadable model: that is fine too.


def test_huge_upload_is_refused_before_parsing() -> None:
    message = _assert_refused(b"PK" + b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert "too large" in message


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x89HDF\r\n\x1a\n" + b"\0" * 100,
        b'{"class_name": "Sequential"}',
        "é".encode() * 50,
        b"PK\x03\x04broken",
    ],
    ids=["empty", "hdf5", "json", "text", "broken-zip"],
)
def test_wrong_types(content: bytes) -> None:
    _assert_refused(content)


def _set_recurrent_units(config: dict, units: int) -> dict:  # type: ignore[type-arg]
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "LSTM":
            layer["config"]["units"] = units
    return config


@pytest.mark.parametrize("units", [10**6, 10**9, -5, 0])
def test_config_asking_for_a_giant_or_impossible_layer(units: int) -> None:
    # Keras would try to allocate 4·u·(d+u+1) floats while loading: for u = 10⁶ that is 16 TB.
    data = rewrite_config(small_model_bytes(), lambda config: _set_recurrent_units(config, units))
    _assert_refused(data)


def test_config_with_a_lambda_layer_is_refused_by_safe_mode() -> None:
    def add_lambda(config: dict) -> dict:  # type: ignore[type-arg]
        layers = config["config"]["layers"]
        lambda_layer = json.loads(json.dumps(layers[-1]))
        lambda_layer.update(class_name="Lambda", module="keras.layers", name="evil")
        lambda_layer["config"] = {
            "name": "evil",
            "function": {
                "class_name": "__lambda__",
                "config": {"code": "print('owned')", "defaults": None, "closure": None},
            },
        }
        layers.append(lambda_layer)
        return config

    _assert_refused(rewrite_config(small_model_bytes(), add_lambda))
