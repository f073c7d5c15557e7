"""Small seeded Keras models for the conversion, model-file, CLI and page tests."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import keras

from bilstm_lab.core.model_info import MAX_UPLOAD_MB

T, D = 5, 3  # time steps and features of every test model
UNITS = (4, 3, 5)
CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}


def _init(seed: int) -> dict[str, Any]:
    return {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + 1),
        # A non-zero bias, so that "kept" and "fresh" weights can be told apart.
        "bias_initializer": keras.initializers.RandomUniform(-0.5, 0.5, seed=seed + 2),
    }


def recurrent_layers(depth: int, cells: tuple[str, ...], last_sequences: bool) -> list[Any]:
    """``depth`` named, seeded recurrent layers, cycling through ``cells``."""
    layers = []
    for index in range(depth):
        cell = cells[index % len(cells)]
        layers.append(
            CELLS[cell](
                UNITS[index],
                return_sequences=index < depth - 1 or last_sequences,
                name=f"{cell}_{index + 1}",
                **_init(10 * index),
            )
        )
    return layers


def dense(seed: int = 99) -> Any:
    return keras.layers.Dense(
        2,
        name="head",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed + 1),
    )


def make_model(
    kind: str,
    depth: int,
    cells: tuple[str, ...] = ("lstm", "gru", "rnn"),
    head: bool = True,
    last_sequences: bool = False,
) -> keras.Model:
    """A Sequential or Functional model: Input (T, D) → ``depth`` recurrent layers → Dense(2)."""
    layers = recurrent_layers(depth, cells, last_sequences) + ([dense()] if head else [])
    if kind == "sequential":
        return keras.Sequential([keras.Input((T, D), name="x"), *layers], name="seq_model")
    inputs = keras.Input((T, D), name="x")
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name="func_model")


def dense_only_model() -> keras.Model:
    """A valid model with no recurrent layer."""
    inputs = keras.Input((T, D), name="x")
    return keras.Model(inputs, dense()(inputs), name="dense_only")


def lambda_model() -> keras.Model:
    """A model with a Lambda layer (refused under safe_mode=True)."""
    inputs = keras.Input((T, D), name="x")
    x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    x = keras.layers.LSTM(2, name="lstm_1", **_init(0))(x)
    return keras.Model(inputs, x, name="with_lambda")


def save_bytes(model: keras.Model) -> bytes:
    """A model as ``.keras`` bytes."""
    from bilstm_lab.models.model_io import model_to_bytes

    return model_to_bytes(model)


#: Each bad upload, and a pattern its message must match (the same in the page and the CLI).
BAD_UPLOAD_MESSAGES: dict[str, str] = {
    "empty": r"is empty \(0 bytes\)",
    "random": r"is not a Keras \.keras file",
    "lambda": r"contains a Lambda layer .*safe_mode=True",
    "no_recurrent": r"has no LSTM, GRU, SimpleRNN or Bidirectional layer",
    "oversized": rf"is too large: the limit is {MAX_UPLOAD_MB}\.0 MB",
}


def bad_upload(kind: str) -> bytes:
    """The bytes of one kind of bad upload (see `BAD_UPLOAD_MESSAGES`)."""
    import random

    from bilstm_lab.models.model_io import MAX_UPLOAD_BYTES

    if kind == "empty":
        return b""
    if kind == "random":
        return random.Random(7).randbytes(4096)
    if kind == "lambda":
        return save_bytes(lambda_model())
    if kind == "no_recurrent":
        return save_bytes(dense_only_model())
    if kind == "oversized":
        return b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES)
    raise KeyError(kind)


def rewrite_config(data: bytes, change: Callable[[Any], Any]) -> bytes:
    """The same ``.keras`` archive, its config.json passed through ``change`` (which gets a
    freshly parsed copy and returns the config to write)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "config.json":
                content = json.dumps(change(json.loads(content))).encode()
            target.writestr(member.filename, content)
    return out.getvalue()
