"""The converter on a gallery of real model patterns, every merge mode, warm start on and off.

Each pattern is saved and loaded back first, as the CLI and the page do, then converted with
`convert_and_check`. A case either converts — and then this test reloads the file itself,
predicts, holds every report row to the reloaded model, checks the forward-half numbers and, for
the first converted layer, compares its forward half with the original layer independently — or
is refused with the message the table below names, as one clean line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from bilstm_lab.core.conversion import (
    COLD,
    FORWARD_TOLERANCE,
    WARM_STARTED,
    WIDTH_CHANGED,
    CompileFate,
    Direction,
)
from bilstm_lab.core.errors import ConversionError
from bilstm_lab.core.spec import MergeMode
from bilstm_lab.models.conversion_check import check_batch, reset_states, run_model
from bilstm_lab.models.convert import CheckedConversion, convert_and_check
from bilstm_lab.models.introspect import PATH_SEPARATOR, layer_at, layer_kind
from bilstm_lab.models.model_io import load_model_bytes, saved_compile_config
from tests import gallery_models as gallery
from tests.helpers_models import save_bytes

pytestmark = pytest.mark.slow  # about 2 minutes of CPU on the 2-core reference machine

NONE_REFUSED = r"^merge_mode none returns two tensors \(forward, backward\), so it only works"
UNBUILT_REFUSED = r"^model has no defined input shape \(an unbuilt Sequential"
BACKWARDS_REFUSED = r"^layer 'reverse_lstm' already reads the sequence backwards"
ALL_MODES = "*"


@dataclass(frozen=True)
class Case:
    """One gallery pattern and what converting it must do.

    Attributes:
        build: builds the pattern.
        steps: the ``layers`` of each conversion in turn (None: every layer that qualifies);
            a step of ``("unwrap",)`` unwraps every Bidirectional first.
        refused: merge mode (or ``*``) -> the refusal message's pattern.
        compiled: whether the pattern is compiled (its settings must survive).
    """

    build: Callable[[], keras.Model]
    steps: tuple[tuple[str, ...] | None, ...] = (None,)
    refused: dict[str, str] = field(default_factory=dict)
    compiled: bool = False


UNWRAP_ALL = ("unwrap",)

GALLERY: dict[str, Case] = {
    "tagger_time_distributed": Case(
        gallery.tagger_time_distributed, refused={"none": NONE_REFUSED}
    ),
    "gru_time_distributed": Case(gallery.gru_time_distributed, refused={"none": NONE_REFUSED}),
    "encoder_decoder": Case(
        gallery.encoder_decoder, steps=(("decoder",),), refused={"none": NONE_REFUSED}
    ),
    "conv1d_gru": Case(gallery.conv1d_gru, refused={"none": NONE_REFUSED}),
    "mask_zero": Case(gallery.mask_zero, refused={"none": NONE_REFUSED}),
    "masking_layer": Case(gallery.masking_layer),
    "stateful": Case(gallery.stateful, refused={"none": NONE_REFUSED}),
    "nested_sequential": Case(gallery.nested_sequential, refused={"none": NONE_REFUSED}),
    "nested_functional_in_sequential": Case(
        gallery.nested_functional_in_sequential, refused={"none": NONE_REFUSED}
    ),
    "shared_layer": Case(gallery.shared_layer, refused={"none": NONE_REFUSED}),
    "multi_input": Case(gallery.multi_input, refused={"none": NONE_REFUSED}),
    "custom_backward_layer": Case(gallery.custom_backward_layer, refused={"none": NONE_REFUSED}),
    "rnn_cells": Case(gallery.rnn_cells, refused={"none": NONE_REFUSED}),
    "unbuilt_sequential": Case(gallery.unbuilt_sequential, refused={ALL_MODES: UNBUILT_REFUSED}),
    "go_backwards": Case(gallery.go_backwards, refused={ALL_MODES: BACKWARDS_REFUSED}),
    "two_step_layers": Case(
        gallery.stacked, steps=(("lstm_1",), ("lstm_2",)), refused={"none": NONE_REFUSED}
    ),
    "bidirectional_downstream": Case(
        gallery.bidirectional_downstream, refused={"none": NONE_REFUSED}
    ),
    "keras_io_imdb": Case(
        gallery.imdb_bidirectional,
        steps=(UNWRAP_ALL, None),
        refused={"none": NONE_REFUSED},
        compiled=True,
    ),
}

MODES = [mode.value for mode in MergeMode]
CASES = [(key, mode, warm) for key in GALLERY for mode in MODES for warm in (True, False)]


@cache
def _saved(key: str) -> bytes:
    return save_bytes(GALLERY[key].build())


@cache
def _loaded(key: str) -> keras.Model:
    """The pattern as the CLI and the page get it: loaded back from its file."""
    return load_model_bytes(_saved(key), f"{key}.keras", recurrent_only=False)


def _refusal(case: Case, mode: str) -> str | None:
    return case.refused.get(ALL_MODES, case.refused.get(mode))


def _convert(key: str, mode: str, warm: bool) -> tuple[keras.Model, CheckedConversion]:
    """Every step of the case, each on the file the step before wrote; the last step's input."""
    model, data = _loaded(key), _saved(key)
    for step in GALLERY[key].steps:
        way = Direction.UNWRAP if step == UNWRAP_ALL else Direction.WRAP
        layers = None if step == UNWRAP_ALL else step
        checked = convert_and_check(
            model, way, layers, mode, warm, compile_config=saved_compile_config(data)
        )
        source, model, data = model, checked.reloaded, checked.data
    return source, checked


def _predict(model: keras.Model, arrays: list[np.ndarray]) -> list[np.ndarray]:
    feed = (
        arrays[0]
        if isinstance(model, keras.Sequential)
        else keras.tree.pack_sequence_as(model.input, arrays)
    )
    reset_states(model)
    return [np.asarray(out) for out in keras.tree.flatten(model.predict(feed, verbose=0))]


def _assert_rows_match(report: Any, reloaded: keras.Model) -> None:
    """Every row's numbers are the reloaded model's own."""
    for row in report.rows:
        layer = layer_at(reloaded, row.after)
        assert row.params_after == layer.count_params(), row
        assert row.type_after == layer_kind(layer), row
    assert set(report.fresh_layers) == {
        row.after for row in report.rows if row.weights in (COLD, WIDTH_CHANGED)
    }


def _assert_forward_checks(checked: CheckedConversion, mode: str, warm: bool) -> None:
    report, check = checked.conversion.report, checked.check
    warm_rows = {row.after for row in report.rows if row.weights == WARM_STARTED}
    assert {c.layer for c in check.forward_checks} == warm_rows
    assert bool(warm_rows) == warm  # every gallery pattern has a layer that can warm-start
    assert all(c.difference <= FORWARD_TOLERANCE for c in check.forward_checks)
    parts = {(c.layer, c.part) for c in check.forward_checks}
    for name in warm_rows:
        assert (name, "forward_layer") in parts
        assert ((name, "output") in parts) == (mode in ("concat", "none"))


def _first_forward_half(source: keras.Model, checked: CheckedConversion, mode: str) -> None:
    """Independently: the first warm-started top-level layer's forward half is the original's.

    Nothing before the first converted layer changed, so both models feed it the same input.
    """
    rows = checked.conversion.report.rows
    first = next((row for row in rows if row.type_before != row.type_after), None)
    if first is None or first.weights != WARM_STARTED or mode not in ("concat", "none"):
        return
    if PATH_SEPARATOR in first.after:
        return
    reloaded = checked.reloaded
    arrays = check_batch(reloaded)
    before = keras.Model(source.inputs, layer_at(source, first.before).output)
    after = keras.Model(reloaded.inputs, layer_at(reloaded, first.after).output)
    original = run_model(before, arrays)[0]
    converted = run_model(after, arrays)[0]  # concat: (…, 2u); none: the forward tensor first
    np.testing.assert_allclose(converted[..., : original.shape[-1]], original, atol=1e-6)


@pytest.mark.parametrize(("key", "mode", "warm"), CASES)
def test_gallery(key: str, mode: str, warm: bool) -> None:
    case = GALLERY[key]
    pattern = _refusal(case, mode)
    if pattern is not None:
        with pytest.raises(ConversionError, match=pattern) as caught:
            _convert(key, mode, warm)
        message = str(caught.value)
        assert "\n" not in message and "\x1b" not in message and "Traceback" not in message
        return
    source, checked = _convert(key, mode, warm)
    reloaded = load_model_bytes(checked.data, "converted.keras")  # its own reload
    arrays = check_batch(reloaded)
    predictions = _predict(reloaded, arrays)
    assert tuple(p.shape for p in predictions) == checked.check.output_shapes
    assert all(np.isfinite(p).all() for p in predictions)
    _assert_rows_match(checked.conversion.report, reloaded)
    _assert_forward_checks(checked, mode, warm)
    _first_forward_half(source, checked, mode)
    fate = checked.conversion.report.compile.fate
    assert fate is (CompileFate.KEPT if case.compiled else CompileFate.NOT_COMPILED)


def test_gallery_is_large_enough() -> None:
    assert len(GALLERY) >= 15
    refused_everywhere = [key for key, case in GALLERY.items() if ALL_MODES in case.refused]
    assert len(GALLERY) - len(refused_everywhere) >= 15


def test_encoder_with_return_state_is_refused_in_words() -> None:
    with pytest.raises(ConversionError, match=r"^layer 'encoder' returns its states") as caught:
        convert_and_check(_loaded("encoder_decoder"))  # every layer: the encoder too
    assert "--layers" in str(caught.value)


def test_imdb_compile_settings_survive_with_their_numbers(tmp_path: Path) -> None:
    _, checked = _convert("keras_io_imdb", "concat", True)
    settings = checked.conversion.report.compile
    assert (settings.optimizer, settings.loss, settings.metrics) == (
        "Adam",
        ("binary_crossentropy",),
        ("accuracy",),
    )
    assert settings.learning_rate == pytest.approx(0.001)
    path = tmp_path / "imdb_bidirectional.keras"
    path.write_bytes(checked.data)
    restored = keras.saving.load_model(path)  # compile=True, as users load it
    assert restored.compiled and type(restored.optimizer).__name__ == "Adam"
    assert re.search(
        r"Compile settings kept: optimizer Adam \(learning rate 0\.001\), loss binary_crossentropy, metrics accuracy\.",
        checked.conversion.report.to_text(),
    )
