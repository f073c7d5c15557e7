"""`bilstm_lab.core.fields`: CLI flags and API keywords reach the spec through one mapping."""

from __future__ import annotations

from enum import Enum

import pytest

from bilstm_lab.core.errors import SpecError
from bilstm_lab.core.fields import SETTABLE_FIELDS, field_text, spec_from_settings
from bilstm_lab.core.presets import get_preset
from bilstm_lab.core.spec import (
    DEFAULT_SPEC,
    QUERY_KEYS,
    Cell,
    DenseHead,
    FeatureInput,
    MergeMode,
    TokenInput,
)


class _Colour(Enum):
    RED = "red"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "none"),
        (True, "true"),
        (False, "false"),
        (64, "64"),
        ((64, 32), "64,32"),
        ([8], "8"),
        (MergeMode.SUM, "sum"),
        (_Colour.RED, "red"),
        ("gru", "gru"),
        (1.5, "1.5"),
    ],
)
def test_field_text(value: object, text: str) -> None:
    assert field_text(value) == text


def test_every_string_field_but_input_is_settable() -> None:
    assert set(SETTABLE_FIELDS) == set(QUERY_KEYS) - {"input"}


def test_nothing_given_is_the_start() -> None:
    assert spec_from_settings({}) == DEFAULT_SPEC
    preset = get_preset("stacked-classifier").spec
    assert spec_from_settings({}, preset="stacked-classifier") == preset
    assert spec_from_settings({}, base=preset) == preset


def test_values_of_any_python_type() -> None:
    spec = spec_from_settings(
        {"cell": Cell.GRU, "units": (8, 4), "return_sequences": False, "batch": 2, "dense": 3}
    )
    assert spec.cell is Cell.GRU and spec.units == (8, 4) and not spec.return_sequences
    assert spec.batch_size == 2 and spec.head == DenseHead(3)


def test_input_kind_follows_the_fields_given() -> None:
    tokens = spec_from_settings({"vocab": 50})
    assert tokens.input == TokenInput(DEFAULT_SPEC.input.seq_len, 50, TokenInput().embedding_dim)
    features = spec_from_settings({"features": 7}, preset="embedding-classifier")
    assert isinstance(features.input, FeatureInput) and features.input.features == 7


def test_none_means_none() -> None:
    preset = get_preset("stacked-classifier").spec
    assert preset.head is not None
    assert spec_from_settings({"dense": None}, base=preset).head is None
    assert (
        spec_from_settings({"batch": None}, base=preset.with_changes(batch_size=4)).batch_size
        is None
    )


@pytest.mark.parametrize(
    ("given", "start", "message"),
    [
        ({"colour": 1}, {}, "colour is not a model field"),
        ({"input": "tokens"}, {}, "input is not a model field"),
        ({"features": 3, "embedding_dim": 4}, {}, "describe different inputs"),
        ({"dense_activation": "relu"}, {}, "dense_activation needs dense"),
        ({}, {"preset": "stacked-classifier", "base": DEFAULT_SPEC}, "not both"),
        ({"units": "0"}, {}, "units must be between 1 and 4096, received 0"),
    ],
)
def test_bad_settings_name_the_field(given: dict, start: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec_from_settings(given, **start)


def test_dense_activation_may_change_an_existing_head() -> None:
    spec = spec_from_settings({"dense_activation": "relu"}, preset="stacked-classifier")
    assert spec.head is not None and spec.head.activation == "relu"
