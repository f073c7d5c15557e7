"""Real model patterns for the converter and inspector tests, built in code, small and seeded.

Each is a pattern people actually write (keras.io examples, Keras's own tests, well-known
tutorials), shrunk so the whole gallery converts in about a minute. Every layer is named and
every initializer seeded, so a pattern is the same model in every run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import layers

VOCAB, T = 30, 6  # token vocabulary and sequence length of the small patterns


def _seeded(seed: int, recurrent: bool = True) -> dict[str, Any]:
    init: dict[str, Any] = {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed),
        # A non-zero bias, so kept and fresh weights can be told apart.
        "bias_initializer": keras.initializers.RandomUniform(-0.3, 0.3, seed=seed + 2),
    }
    if recurrent:
        init["recurrent_initializer"] = keras.initializers.Orthogonal(seed=seed + 1)
    return init


def _embedding(name: str, seed: int, **options: Any) -> layers.Embedding:
    init = keras.initializers.RandomUniform(-0.5, 0.5, seed=seed)
    return layers.Embedding(VOCAB, 8, embeddings_initializer=init, name=name, **options)


def _dense(units: int, name: str, seed: int, **options: Any) -> layers.Dense:
    return layers.Dense(units, name=name, **_seeded(seed, recurrent=False), **options)


def tagger_time_distributed() -> keras.Model:
    """The most common BiLSTM in practice: token ids → LSTM → TimeDistributed(Dense) per step."""
    tokens = keras.Input((T,), dtype="int32", name="tokens")
    x = _embedding("embedding", 1)(tokens)
    x = layers.LSTM(8, return_sequences=True, name="lstm", **_seeded(10))(x)
    tags = layers.TimeDistributed(_dense(5, "tag", 20, activation="softmax"), name="tags")(x)
    return keras.Model(tokens, tags, name="tagger")


def gru_time_distributed() -> keras.Model:
    """A Sequential GRU tagger on features, TimeDistributed(Dense) after it."""
    return keras.Sequential(
        [
            keras.Input((T, 3), name="features"),
            layers.GRU(6, return_sequences=True, name="gru", **_seeded(10)),
            layers.TimeDistributed(_dense(4, "tag", 20), name="tags"),
        ],
        name="gru_tagger",
    )


def encoder_decoder() -> keras.Model:
    """keras.io's character-level seq2seq: the encoder's [h, c] start the decoder."""
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target")
    encoded = _embedding("source_embedding", 1)(source)
    _, h, c = layers.LSTM(8, return_state=True, name="encoder", **_seeded(10))(encoded)
    decoded = _embedding("target_embedding", 2)(target)
    decoded = layers.LSTM(8, return_sequences=True, name="decoder", **_seeded(20))(
        decoded, initial_state=[h, c]
    )
    out = _dense(VOCAB, "next_char", 30, activation="softmax")(decoded)
    return keras.Model([source, target], out, name="seq2seq")


def conv1d_gru() -> keras.Model:
    """Conv1D feature extractor, then a GRU, then a classifier (Conv1D + BiGRU once converted)."""
    inputs = keras.Input((12, 3), name="signal")
    x = layers.Conv1D(8, 3, activation="relu", name="conv", **_seeded(1, recurrent=False))(inputs)
    x = layers.MaxPooling1D(2, name="pool")(x)
    x = layers.GRU(6, name="gru", **_seeded(10))(x)
    return keras.Model(inputs, _dense(1, "score", 20)(x), name="conv_gru")


def mask_zero() -> keras.Model:
    """Padded token ids: Embedding(mask_zero=True), whose mask every recurrent layer honours."""
    tokens = keras.Input((T,), dtype="int32", name="tokens")
    x = _embedding("embedding", 1, mask_zero=True)(tokens)
    x = layers.LSTM(6, name="lstm", **_seeded(10))(x)
    return keras.Model(tokens, _dense(2, "head", 20)(x), name="masked_tokens")


def masking_layer() -> keras.Model:
    """Masking(0.0) on padded features, the recurrent layer's sequence the model's output."""
    inputs = keras.Input((T, 3), name="features")
    x = layers.Masking(0.0, name="masking")(inputs)
    x = layers.SimpleRNN(4, return_sequences=True, name="rnn", **_seeded(10))(x)
    return keras.Model(inputs, x, name="masked_features")


def stateful() -> keras.Model:
    """A stateful LSTM: fixed batch size, states carried from batch to batch."""
    inputs = keras.Input(batch_shape=(3, T, 3), name="features")
    x = layers.LSTM(5, stateful=True, name="lstm", **_seeded(10))(inputs)
    return keras.Model(inputs, _dense(1, "head", 20)(x), name="stateful")


def nested_sequential() -> keras.Model:
    """A Sequential encoder (Embedding + LSTM) used as one layer of a Functional model."""
    encoder = keras.Sequential(
        [
            keras.Input((T,), dtype="int32", name="tokens"),
            _embedding("embedding", 1),
            layers.LSTM(6, return_sequences=True, name="lstm", **_seeded(10)),
        ],
        name="encoder",
    )
    tokens = keras.Input((T,), dtype="int32", name="tokens")
    x = layers.LSTM(4, name="top", **_seeded(20))(encoder(tokens))
    return keras.Model(tokens, _dense(2, "head", 30)(x), name="nested")


def nested_functional_in_sequential() -> keras.Model:
    """A Functional block (GRU → Dense per step) as a layer of a Sequential model."""
    inner_in = keras.Input((T, 3), name="block_in")
    x = layers.GRU(5, return_sequences=True, name="gru", **_seeded(10))(inner_in)
    block = keras.Model(inner_in, _dense(4, "proj", 20)(x), name="block")
    return keras.Sequential(
        [
            keras.Input((T, 3), name="features"),
            block,
            layers.LSTM(3, name="lstm", **_seeded(30)),
            _dense(1, "head", 40),
        ],
        name="outer_sequential",
    )


def shared_layer() -> keras.Model:
    """One LSTM reading two sequences (a siamese encoder), outputs compared by a Dense head."""
    left = keras.Input((T, 3), name="left")
    right = keras.Input((T, 3), name="right")
    shared = layers.LSTM(5, name="shared_lstm", **_seeded(10))
    x = layers.Concatenate(name="both")([shared(left), shared(right)])
    return keras.Model(
        [left, right], _dense(1, "same", 20, activation="sigmoid")(x), name="siamese"
    )


def multi_input() -> keras.Model:
    """Text through Embedding + LSTM, plus numeric features, joined before the head."""
    tokens = keras.Input((T,), dtype="int32", name="tokens")
    numbers = keras.Input((4,), name="numbers")
    text = layers.LSTM(6, name="lstm", **_seeded(10))(_embedding("embedding", 1)(tokens))
    extra = _dense(4, "numbers_dense", 20, activation="relu")(numbers)
    x = layers.Concatenate(name="joined")([text, extra])
    return keras.Model([tokens, numbers], _dense(1, "head", 30)(x), name="text_and_numbers")


def custom_backward_layer() -> keras.Model:
    """A Bidirectional with its own backward layer, downstream of a plain LSTM."""
    inputs = keras.Input((T, 3), name="features")
    x = layers.LSTM(6, return_sequences=True, name="lstm", **_seeded(10))(inputs)
    forward = layers.LSTM(4, return_sequences=True, name="fwd", **_seeded(20))
    backward = layers.LSTM(
        4, return_sequences=True, go_backwards=True, name="bwd", activation="relu", **_seeded(30)
    )
    x = layers.Bidirectional(forward, backward_layer=backward, name="bi_custom")(x)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(inputs, _dense(2, "head", 40)(x), name="custom_backward")


def rnn_cells() -> keras.Model:
    """Generic RNN layers around cells: RNN(LSTMCell) then RNN(GRUCell)."""
    inputs = keras.Input((T, 3), name="features")
    cell = layers.LSTMCell(6, **_seeded(10))
    x = layers.RNN(cell, return_sequences=True, name="rnn_lstm")(inputs)
    x = layers.RNN(layers.GRUCell(4, **_seeded(20)), name="rnn_gru")(x)
    return keras.Model(inputs, _dense(2, "head", 30)(x), name="rnn_cells")


def unbuilt_sequential() -> keras.Model:
    """keras.io's RNN guide's first model: layers added one by one, no input shape given."""
    model = keras.Sequential(name="unbuilt")
    model.add(layers.Embedding(input_dim=VOCAB, output_dim=8, name="embedding"))
    model.add(layers.LSTM(16, name="lstm"))
    model.add(layers.Dense(10, name="head"))
    return model


def go_backwards() -> keras.Model:
    """An LSTM reading the sequence from its end (go_backwards=True)."""
    inputs = keras.Input((T, 3), name="features")
    x = layers.LSTM(5, go_backwards=True, name="reverse_lstm", **_seeded(10))(inputs)
    return keras.Model(inputs, _dense(1, "head", 20)(x), name="backwards")


def stacked() -> keras.Model:
    """Two stacked LSTMs and a head: converted one layer at a time (``--layers`` twice)."""
    inputs = keras.Input((T, 3), name="features")
    x = layers.LSTM(6, return_sequences=True, name="lstm_1", **_seeded(10))(inputs)
    x = layers.LSTM(4, name="lstm_2", **_seeded(20))(x)
    return keras.Model(inputs, _dense(2, "head", 30)(x), name="stacked")


def bidirectional_downstream() -> keras.Model:
    """A plain LSTM feeding an existing Bidirectional(LSTM)."""
    inputs = keras.Input((T, 3), name="features")
    x = layers.LSTM(6, return_sequences=True, name="lstm", **_seeded(10))(inputs)
    x = layers.Bidirectional(layers.LSTM(4, name="inner", **_seeded(20)), name="bi_lstm_2")(x)
    return keras.Model(inputs, _dense(2, "head", 30)(x), name="into_bidirectional")


IMDB_VOCAB = 200  # keras.io uses 20,000: the architecture is the same, the test is fast


def imdb_bidirectional(train: bool = True) -> keras.Model:
    """keras.io's "Bidirectional LSTM on IMDB", compiled as its tutorial does (small vocabulary).

    Trained for one batch when ``train``, so the saved file holds optimizer state, as the
    tutorial's does.
    """
    inputs = keras.Input(shape=(None,), dtype="int32", name="review")
    x = layers.Embedding(IMDB_VOCAB, 16, name="embedding")(inputs)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True), name="bidirectional")(x)
    x = layers.Bidirectional(layers.LSTM(8), name="bidirectional_1")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="dense")(x)
    model = keras.Model(inputs, outputs, name="imdb")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    if train:
        rng = np.random.default_rng(0)
        reviews = rng.integers(0, IMDB_VOCAB, size=(8, 20))
        model.fit(reviews, rng.integers(0, 2, size=(8, 1)), batch_size=8, epochs=1, verbose=0)
    return model


#: Every pattern by key (what the gallery test and the inspect test iterate over).
PATTERNS: dict[str, Callable[[], keras.Model]] = {
    "tagger_time_distributed": tagger_time_distributed,
    "gru_time_distributed": gru_time_distributed,
    "encoder_decoder": encoder_decoder,
    "conv1d_gru": conv1d_gru,
    "mask_zero": mask_zero,
    "masking_layer": masking_layer,
    "stateful": stateful,
    "nested_sequential": nested_sequential,
    "nested_functional_in_sequential": nested_functional_in_sequential,
    "shared_layer": shared_layer,
    "multi_input": multi_input,
    "custom_backward_layer": custom_backward_layer,
    "rnn_cells": rnn_cells,
    "unbuilt_sequential": unbuilt_sequential,
    "go_backwards": go_backwards,
    "stacked": stacked,
    "bidirectional_downstream": bidirectional_downstream,
    "imdb_bidirectional": imdb_bidirectional,
}
