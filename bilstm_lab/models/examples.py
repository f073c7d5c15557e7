"""Built-in example models for the Convert page and tests, built in code (no binary files).

Every layer is named explicitly and every initializer seeded, so an example is the same model in
every session and never touches Keras's global name counters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from bilstm_lab.core.presets import get_preset
from bilstm_lab.core.spec import SpecError
from bilstm_lab.models.builder import build_model


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
            keras.layers.GRU(
                16,
                return_sequences=True,
                name="gru_1",
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1),
            ),
            keras.layers.GRU(
                8,
                return_sequences=True,
                name="gru_2",
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2),
                recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 3),
            ),
            keras.layers.Dense(
                3,
                activation="softmax",
                name="dense",
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 4),
            ),
        ],
        name="gru_tagger",
    )


def _preset_model(key: str) -> Callable[[int], keras.Model]:
    def build(seed: int = 0) -> keras.Model:
        return build_model(get_preset(key).spec, bidirectional=False, seed=seed)

    return build


EXAMPLES: tuple[Example, ...] = (
    Example(
        "seed000-ex3",
        "Stacked LSTM (64, 32) + Dense — seed article 000, example 3 (Functional)",
        _preset_model("seed000-ex3"),
    ),
    Example(
        "seed000-ex2",
        "Embedding + LSTM(64) + Dense — seed article 000, example 2 (Functional)",
        _preset_model("seed000-ex2"),
    ),
    Example("gru-tagger", "GRU(16) → GRU(8) → Dense(3) tagger (Sequential)", sequential_gru_tagger),
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
