"""The upload guard: every weight a model file declares is counted from its config, before Keras.

Two promises. The count is right: for every model of the gallery (and a few more layer kinds),
the config-only count equals ``count_params()`` of the model and of the file loaded back. And a
hostile file is refused before Keras is asked to load anything: a config whose weight cost hides
in an input width (a wide Input, a huge Flatten, a wrapper, a nested model, an RNN cell), a huge
vocabulary, a stateful batch, thousands of layers. Those files are made by editing a small
model's config.json — the huge models are never built. How long a refusal takes is measured by
``bench/upload_guard.py``, never asserted here.
"""

from __future__ import annotations

import errno
import io
import json
import pickle
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import keras
import pytest
from keras import layers, ops

from bilstm_lab.core import explain
from bilstm_lab.core.config_weights import (
    MAX_CONFIG_LAYERS,
    MAX_CONFIG_PARAMS,
    MAX_LAYER_CALLS,
    MAX_NESTING,
    size_config,
)
from bilstm_lab.core.errors import (
    ConfigTooLarge,
    CorruptModelFile,
    LayerNotSizable,
    ModelFileTooLarge,
    NoSpaceForUpload,
    NotAKerasFile,
    UnsafeModelFile,
    UploadError,
)
from bilstm_lab.models import model_io
from bilstm_lab.models.model_io import load_model_bytes, model_to_bytes
from tests import gallery_models as gallery
from tests.helpers_models import rewrite_config

T = 6

# --- more layer kinds than the gallery's, each small --------------------------------------------


def conv_family() -> keras.Model:
    inputs = keras.Input((12, 4), name="signal")
    x = layers.Conv1D(6, 3, padding="same", dilation_rate=2, name="dilated")(inputs)
    x = layers.Conv1D(6, 2, padding="causal", groups=2, strides=2, name="grouped")(x)
    x = layers.Conv1D(4, 3, lora_rank=2, name="lora_conv")(x)
    x = layers.ZeroPadding1D((1, 2), name="pad")(x)
    x = layers.Cropping1D(1, name="crop")(x)
    x = layers.UpSampling1D(3, name="up")(x)
    x = layers.AveragePooling1D(3, strides=2, padding="same", name="avg")(x)
    x = layers.BatchNormalization(renorm=True, name="bn")(x)
    x = layers.GlobalMaxPooling1D(keepdims=True, name="gmax")(x)
    x = layers.Flatten(name="flat")(x)
    return keras.Model(inputs, layers.Dense(3, lora_rank=2, name="head")(x), name="conv_family")


def image_to_sequence() -> keras.Model:
    inputs = keras.Input((10, 8, 3), name="image")
    x = layers.Conv2D(5, (3, 2), strides=(2, 1), name="conv2d")(inputs)
    x = layers.MaxPooling2D((2, 2), padding="same", name="pool2d")(x)
    x = layers.Reshape((-1, 5), name="to_sequence")(x)
    return keras.Model(inputs, layers.LSTM(4, name="lstm")(x), name="image_to_sequence")


def attention_family() -> keras.Model:
    query = keras.Input((T, 8), name="query")
    value = keras.Input((4, 5), name="value")
    mha = layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=7, name="mha")
    attended, scores = mha(query, value, return_attention_scores=True)
    dot = layers.Attention(use_scale=True, score_mode="concat", name="dot")([query, query])
    additive = layers.AdditiveAttention(name="additive")([query, query])
    x = layers.Concatenate(name="joined")([attended, dot, additive])
    x = layers.LayerNormalization(axis=[1, 2], name="ln")(x)
    x = layers.LayerNormalization(rms_scaling=True, name="rms")(x)
    gru = layers.GRU(3, reset_after=False, return_sequences=True)
    x = layers.Bidirectional(gru, name="bi_gru")(x)
    return keras.Model([query, value], [x, scores], name="attention_family")


def bidirectional_states() -> keras.Model:
    inputs = keras.Input((T, 3), name="features")
    lstm = layers.LSTM(4, return_state=True, return_sequences=True)
    fw, bw, h1, c1, h2, c2 = layers.Bidirectional(lstm, merge_mode=None, name="bi")(inputs)
    x = layers.Add(name="sum")([fw, bw])
    x = layers.SimpleRNN(3, use_bias=False, name="rnn")(x)
    x = layers.Concatenate(name="all")([x, layers.Concatenate(name="states")([h1, c1, h2, c2])])
    x = layers.RepeatVector(2, name="repeat")(x)
    x = layers.Permute((2, 1), name="permute")(x)
    x = layers.TimeDistributed(layers.Dense(2, name="inner"), name="td")(x)
    return keras.Model(inputs, x, name="bi_states")


def stacked_cells() -> keras.Model:
    inputs = keras.Input((T, 3), name="features")
    cells = [layers.LSTMCell(4), layers.GRUCell(3)]
    sequence, *states = layers.RNN(cells, return_sequences=True, return_state=True, name="rnn")(
        inputs
    )
    last = layers.RNN(layers.SimpleRNNCell(2), name="simple")(sequence)
    return keras.Model(inputs, [last, *states], name="stacked_cells")


def functional_called_twice() -> keras.Model:
    inner_in = keras.Input((T, 3), name="inner_in")
    gru = layers.GRU(4, return_sequences=True, name="gru")(inner_in)
    inner = keras.Model(inner_in, gru, name="inner")
    inputs = keras.Input((T, 3), name="outer_in")
    x = layers.Average(name="avg")([inner(inputs), inner(inputs)])  # one set of weights
    return keras.Model(inputs, layers.LSTM(2, name="top")(x), name="called_twice")


def legacy_input_shape() -> keras.Model:
    """Keras 2 style: the first layer's ``input_shape`` (Keras adds the InputLayer itself)."""
    lstm = layers.LSTM(5, input_shape=(T, 3), name="lstm")
    return keras.Sequential([lstm, layers.Dense(2, name="head")], name="legacy_input_shape")


def sequential_block_called() -> keras.Model:
    """A Sequential without an Input, built by the Functional model that calls it."""
    block = keras.Sequential(
        [layers.Dense(6, name="d1"), layers.Dropout(0.1, name="drop"), layers.Dense(3, name="d2")],
        name="block",
    )
    inputs = keras.Input((T, 4), name="x")
    return keras.Model(inputs, block(inputs), name="called_block")


def operations_in_graph() -> keras.Model:
    inputs = keras.Input((T, 3), name="x")
    x = layers.LSTM(4, return_sequences=True, name="lstm")(inputs)
    x = ops.tanh(x) * 2.0 + x
    x = layers.Activation("relu", name="act")(x)
    return keras.Model(inputs, layers.GlobalAveragePooling1D(name="gap")(x), name="with_ops")


def stateful_bidirectional() -> keras.Model:
    inputs = keras.Input(batch_shape=(4, T, 3), name="x")
    return keras.Model(
        inputs, layers.Bidirectional(layers.GRU(3, stateful=True), name="bi")(inputs), name="sbi"
    )


EXTRA: dict[str, Callable[[], keras.Model]] = {
    fn.__name__: fn
    for fn in (
        conv_family,
        image_to_sequence,
        attention_family,
        bidirectional_states,
        stacked_cells,
        functional_called_twice,
        legacy_input_shape,
        sequential_block_called,
        operations_in_graph,
        stateful_bidirectional,
    )
}
MODELS: dict[str, Callable[[], keras.Model]] = {**gallery.PATTERNS, **EXTRA}


# --- helpers ------------------------------------------------------------------------------------


@cache
def _saved(key: str) -> tuple[bytes, int | None]:
    """A model's file and its ``count_params()`` (None when unbuilt), built once per run."""
    model = MODELS[key]()
    return model_to_bytes(model), model.count_params() if model.built else None


def _config(data: bytes) -> Any:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("config.json"))


def _layers(config: Any) -> list[dict[str, Any]]:
    return config["config"]["layers"]


def _named(config: Any, name: str) -> dict[str, Any]:
    """The layer entry called ``name`` anywhere in the config (wrapped and nested ones too)."""
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            config = node.get("config")
            if isinstance(config, dict) and config.get("name") == name and "class_name" in node:
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise KeyError(name)


@pytest.fixture()
def keras_never_loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make any call to Keras's loader fail the test: a refusal must come before it."""
    calls: list[object] = []

    def load_model(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("Keras was asked to load a file the guard should have refused")

    monkeypatch.setattr(keras.saving, "load_model", load_model)
    return calls


# --- the count is exact -------------------------------------------------------------------------


# Two extras are built the deprecated way on purpose (rms_scaling, a first layer's input_shape).
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("key", list(MODELS))
def test_the_config_count_equals_count_params(key: str) -> None:
    data, expected = _saved(key)
    size = size_config(_config(data), f"{key}.keras")
    loaded = load_model_bytes(data, f"{key}.keras", recurrent_only=False)
    if expected is None:  # an unbuilt model: no weights yet, nor after loading
        assert size.weights == 0 and not loaded.weights
        # its Embedding's table still counts towards the limit: any build would create it
        assert size.peak == gallery.VOCAB * 8
        return
    assert size.weights == expected == loaded.count_params()
    assert size.weights <= size.peak


def test_the_guard_returns_the_count_it_checked() -> None:
    data, expected = _saved("imdb_bidirectional")
    size = model_io.check_config_size(json.dumps(_config(data)).encode(), "imdb.keras")
    assert size.weights == expected
    # Keras deserializes each wrapped LSTM, copies it into the Bidirectional and drops it.
    assert size.peak > size.weights


# --- hostile files are refused before Keras ------------------------------------------------------


def _small() -> bytes:
    """Input (5, 3) -> LSTM(32) -> Dense(2): the file every edit below starts from."""
    inputs = keras.Input((5, 3), name="x")
    outputs = layers.Dense(2, name="head")(layers.LSTM(32, name="lstm")(inputs))
    return model_to_bytes(keras.Model(inputs, outputs, name="small"))


SMALL = _small()


def _widen(width: int, *, input_layer: bool = True, build: bool = True) -> bytes:
    """The small model reading ``width`` features (its Input, its LSTM's build_config, or both)."""

    def change(config: Any) -> Any:
        if input_layer:
            _named(config, "x")["config"]["batch_shape"] = [None, 5, width]
        if build:
            _named(config, "lstm")["build_config"]["input_shape"] = [None, 5, width]
        return config

    return rewrite_config(SMALL, change)


def _assert_refused_before_keras(
    data: bytes, calls: list[object], error: type = ConfigTooLarge
) -> str:
    with pytest.raises(error) as caught:
        load_model_bytes(data, "hostile.keras", recurrent_only=False)
    assert not calls, "Keras was asked to load it"
    message = str(caught.value)
    assert message.startswith("hostile.keras ") and "\n" not in message and len(message) < 600
    return message


@pytest.mark.parametrize("width", [500_000, 1_000_000])
def test_a_wide_input_is_refused_with_the_real_reason(
    width: int, keras_never_loads: list[object]
) -> None:
    # An LSTM(32) reading 500,000 features: 4·32·(500,000 + 32 + 1) = 64 M weights, each
    # allocated by Keras before it reads the file's values; the old estimate saw only units=32.
    message = _assert_refused_before_keras(_widen(width), keras_never_loads)
    weights = 4 * 32 * (width + 32 + 1) + 32 * 2 + 2
    assert message.startswith(
        f"hostile.keras declares about {explain.rough_count(weights)} weights"
    )
    assert f"({explain.rough_bytes(4 * weights)})" in message
    assert f"at most {explain.rough_count(MAX_CONFIG_PARAMS)}" in message
    assert "layer 'small/lstm' ('LSTM'" in message
    assert issubclass(ConfigTooLarge, ModelFileTooLarge)  # what pages and tests catch


@pytest.mark.parametrize(
    ("input_layer", "build"), [(True, False), (False, True)], ids=["input-only", "build-only"]
)
def test_either_place_a_width_hides_is_counted(
    input_layer: bool, build: bool, keras_never_loads: list[object]
) -> None:
    # Keras builds a layer from its stored build_config, or at its first call: both count.
    _assert_refused_before_keras(
        _widen(10**9, input_layer=input_layer, build=build), keras_never_loads
    )


def _edit(key: str, change: Callable[[Any], None]) -> bytes:
    def apply(config: Any) -> Any:
        change(config)
        return config

    return rewrite_config(_saved(key)[0], apply)


def _set_shape(config: Any, name: str, shape: list[int | None]) -> None:
    entry = _named(config, name)
    if entry["class_name"] == "InputLayer":
        entry["config"]["batch_shape"] = shape
    else:
        entry["build_config"]["input_shape"] = shape


def _flatten_then_dense() -> bytes:
    """A Dense after a Flatten of 10⁵ × 10⁴ values: 2·10⁹ weights, built at its first call."""
    model = keras.Sequential(
        [keras.Input((4, 3), name="x"), layers.Flatten(name="flat"), layers.Dense(2, name="d")],
        name="flat_model",
    )

    def change(config: Any) -> Any:
        _set_shape(config, "x", [None, 100_000, 10_000])
        del _named(config, "d")["build_config"]
        return config

    return rewrite_config(model_to_bytes(model), change)


def _embedding_vocabulary(config: Any) -> None:
    _named(config, "embedding")["config"]["input_dim"] = 10**9


def _bidirectional_wrapper(config: Any) -> None:
    # Keras builds both directions from their stored shapes while deserializing the wrapper.
    _set_shape(config, "forward_inner", [None, 6, 10**8])
    _set_shape(config, "backward_inner", [None, 6, 10**8])


def _time_distributed_wrapper(config: Any) -> None:
    # The wrapper's stored shape builds the Dense it wraps on one step: (None, 10⁹) -> 5.
    _set_shape(config, "tags", [None, 6, 10**9])
    del _named(config, "tag")["build_config"]


def _nested_model(config: Any) -> None:
    _set_shape(config, "lstm", [None, 6, 10**8])  # the LSTM inside the nested encoder


def _rnn_cell(config: Any) -> None:
    _set_shape(config, "lstm_cell", [None, 10**8])


def _stateful_batch(config: Any) -> None:
    # Few weights, but Keras creates the states of 10⁹ sequences (batch × units, twice).
    _set_shape(config, "features", [10**9, 6, 3])
    _set_shape(config, "lstm", [10**9, 6, 3])


def _conv_kernel(config: Any) -> None:
    _named(config, "conv")["config"].update(kernel_size=[10**7], padding="same")


HOSTILE: dict[str, Callable[[], bytes]] = {
    "flatten_then_dense": _flatten_then_dense,
    "embedding_vocabulary": lambda: _edit("mask_zero", _embedding_vocabulary),
    "bidirectional_wrapper": lambda: _edit("bidirectional_downstream", _bidirectional_wrapper),
    "time_distributed_wrapper": lambda: _edit("tagger_time_distributed", _time_distributed_wrapper),
    "nested_model": lambda: _edit("nested_sequential", _nested_model),
    "rnn_cell": lambda: _edit("rnn_cells", _rnn_cell),
    "stateful_batch": lambda: _edit("stateful", _stateful_batch),
    "conv_kernel": lambda: _edit("conv1d_gru", _conv_kernel),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hidden_weights_are_refused_before_keras(
    kind: str, keras_never_loads: list[object]
) -> None:
    message = _assert_refused_before_keras(HOSTILE[kind](), keras_never_loads)
    assert "declares about" in message and "30 million" in message


def _many_layers(count: int) -> bytes:
    """A Sequential of ``count`` tiny layers (each config a few dozen bytes: under the 4 MB cap)."""

    def change(config: Any) -> Any:
        entries = [_named(config, "x")]
        for index in range(count):
            activation = {"name": f"a{index}", "activation": "linear"}
            entries.append(
                {"module": "keras.layers", "class_name": "Activation", "config": activation}
            )
        return {
            "module": "keras",
            "class_name": "Sequential",
            "config": {"name": "deep", "layers": entries},
        }

    return rewrite_config(SMALL, change)


def test_ten_thousand_layers_are_refused_before_keras(keras_never_loads: list[object]) -> None:
    message = _assert_refused_before_keras(_many_layers(10_000), keras_never_loads)
    assert f"more than {MAX_CONFIG_LAYERS:,} layers" in message


def test_a_sequential_too_long_to_rebuild_is_refused_before_keras(
    keras_never_loads: list[object],
) -> None:
    # 100 layers: 5,050 layer calls while Keras rebuilds it after each one (seconds of CPU).
    message = _assert_refused_before_keras(_many_layers(100), keras_never_loads)
    assert f"more than {MAX_LAYER_CALLS:,} layer calls to rebuild" in message
    assert "keras.Model(inputs, outputs)" in message


def test_models_nested_too_deep_are_refused(keras_never_loads: list[object]) -> None:
    def change(config: Any) -> Any:
        for depth in range(MAX_NESTING + 5):
            config = {
                "module": "keras",
                "class_name": "Sequential",
                "config": {"name": f"level_{depth}", "layers": [config]},
            }
        return config

    message = _assert_refused_before_keras(rewrite_config(SMALL, change), keras_never_loads)
    assert f"more than {MAX_NESTING} levels deep" in message


def test_a_layer_the_lab_cannot_size_is_refused(keras_never_loads: list[object]) -> None:
    def change(config: Any) -> Any:
        _named(config, "head").update(class_name="Conv3D")
        return config

    message = _assert_refused_before_keras(
        rewrite_config(SMALL, change), keras_never_loads, LayerNotSizable
    )
    assert "uses a 'Conv3D' layer ('small/head') whose weights the lab cannot count" in message


def test_a_class_keras_lacks_keeps_its_own_reason(keras_never_loads: list[object]) -> None:
    def change(config: Any) -> Any:
        _named(config, "lstm").update(class_name="MyFancyLSTM")
        return config

    message = _assert_refused_before_keras(
        rewrite_config(SMALL, change), keras_never_loads, CorruptModelFile
    )
    assert "it uses 'MyFancyLSTM', which is not built into Keras" in message


@pytest.mark.parametrize("units", [-5, 0, 2.5, True, "32"])
def test_an_impossible_size_is_named(units: object, keras_never_loads: list[object]) -> None:
    def change(config: Any) -> Any:
        _named(config, "lstm")["config"]["units"] = units
        return config

    message = _assert_refused_before_keras(
        rewrite_config(SMALL, change), keras_never_loads, CorruptModelFile
    )
    assert f"has a 'LSTM' layer with an impossible units, received {repr(units)!r}" in message


# --- each refusal names its real reason ----------------------------------------------------------


def _replace_head(entry: dict[str, Any]) -> bytes:
    def change(config: Any) -> Any:
        head = _named(config, "head")
        head.clear()
        head.update(entry, name=entry["config"]["name"], inbound_nodes=[])
        return config

    return rewrite_config(SMALL, change)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            {
                "class_name": "TFSMLayer",
                "module": "keras.layers",
                "config": {"name": "sm", "filepath": "/srv/saved"},
            },
            "contains a TFSMLayer, which loads a TensorFlow SavedModel from a folder outside",
        ),
        (
            {
                "class_name": "StringLookup",
                "module": "keras.layers",
                "config": {"name": "lookup", "vocabulary": "/etc/passwd"},
            },
            "reads its vocabulary from a file outside the model",
        ),
        (
            {
                "class_name": "Lambda",
                "module": "keras.layers",
                "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {}}},
            },
            "contains a Lambda layer (arbitrary Python code)",
        ),
    ],
    ids=["tfsm", "vocabulary-file", "lambda"],
)
def test_code_and_file_refusals_say_what_they_are(
    entry: dict[str, Any], words: str, keras_never_loads: list[object]
) -> None:
    message = _assert_refused_before_keras(_replace_head(entry), keras_never_loads, UnsafeModelFile)
    assert words in message
    if "Lambda" not in words:
        assert "Lambda" not in message


@pytest.mark.parametrize(
    ("keras_text", "words"),
    [
        (
            "Requested the deserialization of a `TFSMLayer`, which loads an external SavedModel. "
            "... passing `safe_mode=False` to the loading function",
            "contains a TFSMLayer",
        ),
        (
            "Requested the loading of a vocabulary file outside of the model archive. ... "
            "passing `safe_mode=False` to the loading function. Vocabulary file: '/etc/passwd'",
            "reads its vocabulary from a file",
        ),
        (
            "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
            "... passing `safe_mode=False`",
            "contains a Lambda layer",
        ),
        (
            "Requested the deserialization of a Python lambda. ... passing `safe_mode=False`",
            "contains Python code (a lambda",
        ),
        (
            "Requested the deserialization of a `torch.nn.Module` object via `torch.load()`. ... "
            "passing `safe_mode=False`",
            "wrapped PyTorch module",
        ),
    ],
    ids=["tfsm", "vocabulary-file", "lambda-layer", "lambda-elsewhere", "torch"],
)
def test_keras_refusals_are_told_apart(keras_text: str, words: str) -> None:
    error = model_io._explain_load_error(ValueError(keras_text), "model.keras")
    assert isinstance(error, UnsafeModelFile)
    assert words in str(error)
    assert "/etc/passwd" not in str(error)
    if "Lambda" not in words:
        assert "Lambda layer" not in str(error)


def test_a_lambda_activation_gets_its_own_reason() -> None:
    def change(config: Any) -> Any:
        activation = {"class_name": "__lambda__", "config": {"value": "x"}}
        _named(config, "head")["config"]["activation"] = activation
        return config

    with pytest.raises(UnsafeModelFile, match=r"contains Python code \(a lambda"):
        load_model_bytes(rewrite_config(SMALL, change), "act.keras")


def test_a_full_temp_folder_is_a_sentence_not_os_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    for action in (
        lambda: load_model_bytes(SMALL, "small.keras"),
        lambda: model_to_bytes(keras.Sequential([keras.Input((2,)), layers.Dense(1)])),
    ):
        with pytest.raises(NoSpaceForUpload) as caught:
            action()
        assert "temporary folder is full" in str(caught.value)
        assert "OSError" not in str(caught.value) and "Errno" not in str(caught.value)
    error = model_io._explain_load_error(
        OSError(errno.ENOSPC, "No space left on device"), "m.keras"
    )
    assert isinstance(error, NoSpaceForUpload)


def test_a_legacy_h5_file_gets_the_labs_message(tmp_path: Path) -> None:
    from tests.test_cli_models import run

    path = tmp_path / "model.h5"
    keras.Sequential([keras.Input((5, 3)), layers.LSTM(2)]).save(path)  # Keras's legacy HDF5
    with pytest.raises(NotAKerasFile) as caught:
        load_model_bytes(path.read_bytes(), "model.h5")
    message = str(caught.value)
    assert message.startswith("model.h5 is a legacy HDF5 (.h5) model file")
    assert 'model.save("model.keras")' in message
    code, _, err = run(["inspect", str(path)])
    assert code == 2 and "legacy HDF5 (.h5) model file" in err and "Traceback" not in err


def test_the_cli_and_api_refuse_a_wide_file_before_keras(
    tmp_path: Path, keras_never_loads: list[object]
) -> None:
    import bilstm_lab as lab
    from tests.test_cli_models import run

    path = tmp_path / "wide.keras"
    path.write_bytes(_widen(500_000))
    for command in (["inspect", str(path)], ["convert", str(path), str(tmp_path / "out.keras")]):
        code, _, err = run(command)
        assert code == 2 and "wide.keras declares about 64 million weights" in err
    with pytest.raises(ConfigTooLarge):
        lab.inspect_model(path)
    assert not keras_never_loads and not (tmp_path / "out.keras").exists()


@pytest.mark.parametrize("error", [ConfigTooLarge, LayerNotSizable, NoSpaceForUpload])
def test_the_new_refusals_travel_back_from_a_worker(error: type[UploadError]) -> None:
    refusal = error("m.keras declares about 4.1 billion weights")
    back = pickle.loads(pickle.dumps(refusal))  # as the pool brings a job's error back
    assert type(back) is error and str(back) == str(refusal) and back.field == "file"


def test_keras_operation_modules_define_no_layers() -> None:
    # The guard counts no weights for a class from a keras.src.ops module (an Operation, like
    # the NotEqual a masked Embedding adds): true of the installed Keras, test modules aside.
    import importlib
    import pkgutil

    import keras.src.ops

    from bilstm_lab.core.config_weights import _is_operation

    for module in pkgutil.iter_modules(keras.src.ops.__path__, "keras.src.ops."):
        entry = {"module": module.name, "class_name": "X", "registered_name": None}
        if not _is_operation(entry):
            assert module.name.endswith("_test")
            continue
        namespace = vars(importlib.import_module(module.name))
        found = [
            k for k, v in namespace.items() if isinstance(v, type) and issubclass(v, layers.Layer)
        ]
        assert not found, f"{module.name} defines layers {found}"


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("model.h5", b"\x89HDF\r\n\x1a\n" + bytes(64), "legacy HDF5 (.h5) model file"),
        ("notes.txt", b"just some notes", "is not a Keras .keras file"),
    ],
)
def test_a_wrong_file_on_the_convert_page_gets_the_labs_message(
    name: str, data: bytes, words: str
) -> None:
    from tests.test_convert_page import _app, _upload

    at = _upload(_app(), name, data)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and words in at.error[0].value
