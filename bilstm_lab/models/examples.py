"""Built-in example models for the Convert page and tests, built in code (no binary files).

Every layer is named explicitly and every initializer seeded, so an example is the same model in
every session and never touches Keras's global name counters. The keys and titles live in
`bilstm_lab.core.model_info.EXAMPLE_TITLES`, so the page can list them without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from bilstm_lab.core.errors import SpecError
from bilstm_lab.core.model_info import EXAMPLE_TITLES
from bilstm_lab.core.presets import get_preset
from bilstm_lab.core.spec import Cell
from bilstm_lab.models.builder import build_model, seeded_cell, seeded_dense


@dataclass(frozen=True)
class Example:
    """A named example model.

    Attributes:
        key: short name.
        title: one line for a select box.
        build: ``build(seed) -> keras.Model``.
    """

    key: str
    title: str
    build: Callable[[int], keras.Model]


def sequential_gru_tagger(seed: int = 0) -> keras.Model:
    """A Sequential per-step classifier: GRU(16) → GRU(8) → Dense(3) on (T=12, d=6) features."""
    return keras.Sequential(
        [
            keras.Input(shape=(12, 6), name="features"),
            seeded_cell(Cell.GRU, 16, "gru_1", seed, return_sequences=True),
            seeded_cell(Cell.GRU, 8, "gru_2", seed + 2, return_sequences=True),
            seeded_dense(3, "dense", seed + 4, activation="softmax"),
        ],
        name="gru_tagger",
    )


def _preset_model(key: str) -> Callable[[int], keras.Model]:
    def build(seed: int = 0) -> keras.Model:
        return build_model(get_preset(key).spec, bidirectional=False, seed=seed)

    return build


_BUILDERS: dict[str, Callable[[int], keras.Model]] = {
    "stacked-classifier": _preset_model("stacked-classifier"),
    "embedding-classifier": _preset_model("embedding-classifier"),
    "gru-tagger": sequential_gru_tagger,
}

EXAMPLES: tuple[Example, ...] = tuple(
    Example(key, title, _BUILDERS[key]) for key, title in EXAMPLE_TITLES.items()
)

EXAMPLES_BY_KEY: dict[str, Example] = {example.key: example for example in EXAMPLES}


def build_example(key: str, seed: int = 0) -> keras.Model:
    """Build an example model by key.

    Raises:
        SpecError: naming the known keys for an unknown one.
    """
    try:
        example = EXAMPLES_BY_KEY[key]
    except KeyError:
        raise SpecError(
            "example", f"example must be one of {', '.join(EXAMPLES_BY_KEY)}, received {key!r}"
        ) from None
    return example.build(seed)
