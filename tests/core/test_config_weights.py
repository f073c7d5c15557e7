"""bilstm_lab.core.config_weights on hand-written configs: the limits, the odd spellings Keras
accepts, and hostile JSON (only the lab's own refusals come out, never another exception).

The counts against real Keras models are in ``tests/test_upload_guard.py``.
"""

from __future__ import annotations

import ast
import copy
import gc
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilstm_lab.core import config_weights
from bilstm_lab.core.config_weights import (
    MAX_CONFIG_PARAMS,
    MAX_LAYER_CALLS,
    check_config,
    size_config,
)
from bilstm_lab.core.errors import ConfigTooLarge, CorruptModelFile, LayerNotSizable, UploadError


def _layer(
    class_name: str, name: str, build: list[Any] | None = None, **config: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "module": "keras.layers",
        "class_name": class_name,
        "config": {"name": name, **config},
    }
    if build is not None:
        entry["build_config"] = {"input_shape": build}
    return entry


def _input(name: str, shape: list[Any]) -> dict[str, Any]:
    return _layer("InputLayer", name, batch_shape=shape)


def _sequential(*entries: dict[str, Any], **config: Any) -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "seq", "layers": list(entries), **config},
    }


def _tensor(layer: str, node: int = 0, index: int = 0) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}


def _called(entry: dict[str, Any], *nodes: Any) -> dict[str, Any]:
    return {**entry, "name": entry["config"]["name"], "inbound_nodes": list(nodes)}


def _functional(entries: list[dict[str, Any]], outputs: Any) -> dict[str, Any]:
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {"name": "fn", "layers": entries, "input_layers": [], "output_layers": outputs},
    }


def _lstm_weights(width: int, units: int) -> int:
    return 4 * units * (width + units + 1)


def test_a_sequential_counts_from_its_input_layer() -> None:
    config = _sequential(
        _input("x", [None, 5, 3]), _layer("LSTM", "lstm", units=4), _layer("Dense", "d", units=2)
    )
    assert size_config(config).weights == _lstm_weights(3, 4) + 4 * 2 + 2


def test_keras_2_input_shape_on_the_first_layer_counts() -> None:
    # Keras 3 still turns a first layer's input_shape into an InputLayer, and builds from it.
    config = _sequential(_layer("LSTM", "lstm", units=4, input_shape=[5, 10**9]))
    with pytest.raises(ConfigTooLarge, match="declares about 16 billion weights"):
        check_config(config, "legacy.keras")


def test_build_input_shape_builds_a_sequential_without_input() -> None:
    config = _sequential(_layer("Dense", "d", units=3), build_input_shape=[None, 7])
    assert size_config(config).weights == 7 * 3 + 3


def test_an_unbuilt_model_holds_nothing_but_its_embedding_counts_toward_the_limit() -> None:
    config = _sequential(
        _layer("Embedding", "e", input_dim=10**9, output_dim=8), _layer("LSTM", "l", units=4)
    )
    size = size_config(config)
    assert size.weights == 0 and size.peak == 8 * 10**9
    with pytest.raises(ConfigTooLarge):
        check_config(config)


def test_legacy_node_lists_are_followed() -> None:
    entries = [
        _called(_input("x", [None, 5, 10**9])),
        _called(_layer("LSTM", "lstm", units=4), [["x", 0, 0, {}]]),
    ]
    assert size_config(_functional(entries, ["lstm", 0, 0])).weights == _lstm_weights(10**9, 4)


def test_a_shared_layer_counts_once_at_its_widest_call() -> None:
    entries = [
        _called(_input("a", [None, 3])),
        _called(_input("b", [None, 3])),
        _called(_layer("Dense", "d", units=2), {"args": [_tensor("a")]}, {"args": [_tensor("b")]}),
    ]
    assert size_config(_functional(entries, [["d", 0, 0], ["d", 1, 0]])).weights == 3 * 2 + 2


def test_entries_keras_shares_by_id_count_once() -> None:
    dense = _layer("Dense", "d", build=[None, 4], units=4)
    first, second = copy.deepcopy(dense), copy.deepcopy(dense)
    first["shared_object_id"] = second["shared_object_id"] = 7
    config = _sequential(_input("x", [None, 4]), first, second)
    assert size_config(config).weights == 4 * 4 + 4


def test_a_shared_object_called_twice_counts_its_widest_call() -> None:
    dense = _layer("Dense", "d", units=2)
    dense["shared_object_id"] = 9
    entries = [
        _called(_input("a", [None, 3])),
        _called(_input("b", [None, 50])),
        _called(dense, {"args": [_tensor("a")]}, {"args": [_tensor("b")]}),
    ]
    assert size_config(_functional(entries, [["d", 0, 0], ["d", 1, 0]])).weights == 50 * 2 + 2


def test_a_later_entry_of_a_shared_object_is_the_first_ones_class() -> None:
    # Keras returns the first object for a repeated id: the second entry's class is ignored.
    big = _layer("Dense", "big", units=10**6)
    decoy = _layer("Dropout", "decoy", rate=0.1)
    big["shared_object_id"] = decoy["shared_object_id"] = 1
    config = _sequential(_input("x", [None, 10**5]), decoy, big)
    config["config"]["layers"][1:] = [big, decoy]
    with pytest.raises(ConfigTooLarge):
        check_config(config)


def test_a_lambda_with_a_named_function_hides_the_width_that_follows() -> None:
    named = {"module": "keras.ops", "class_name": "function", "config": "tile"}
    lam = _layer("Lambda", "lam", function=named)
    entries = [
        _called(_input("x", [None, 5, 3])),
        _called(lam, {"args": [_tensor("x")]}),
        _called(_layer("LSTM", "lstm", units=4), {"args": [_tensor("lam")]}),
    ]
    with pytest.raises(
        LayerNotSizable, match=r"'fn/lstm'\) whose input width cannot be worked out"
    ):
        size_config(_functional(entries, ["lstm", 0, 0]), "lam.keras")
    entries[2]["build_config"] = {"input_shape": [None, 5, 3]}  # Keras builds from this one
    assert size_config(_functional(entries, ["lstm", 0, 0])).weights == _lstm_weights(3, 4)


def test_operations_hold_no_weights_but_test_modules_can_hold_layers() -> None:
    op = {
        "module": "keras.src.ops.numpy",
        "class_name": "Tanh",
        "registered_name": "Tanh",
        "config": {"name": "t"},
    }
    entries = [
        _called(_input("x", [None, 5, 3])),
        _called(op, {"args": [_tensor("x")]}),
        _called(_layer("LSTM", "lstm", units=4), {"args": [_tensor("t")]}),
    ]
    assert size_config(_functional(entries, ["lstm", 0, 0])).weights == _lstm_weights(3, 4)
    sneaky = {**_layer("Dense", "t", units=10**7), "module": "keras.src.ops.function_test"}
    entries[1] = _called(sneaky, {"args": [_tensor("x")]})
    with pytest.raises(ConfigTooLarge):
        check_config(_functional(entries, ["lstm", 0, 0]))


def test_the_time_limit_refuses_a_config_too_slow_to_check() -> None:
    ticks = itertools.count()
    clock = lambda: float(next(ticks))  # noqa: E731 - one second per reading
    config = _sequential(_input("x", [None, 3]), _layer("Dense", "d", units=2))
    with pytest.raises(
        ConfigTooLarge, match=r"slow.keras is too complex to check: .* within 0.5 s"
    ):
        check_config(config, "slow.keras", clock=clock)
    # The walk pauses the garbage collector (no collection of a big heap eats its budget) and
    # always turns it back on.
    assert gc.isenabled()


def test_the_layer_limit_counts_nested_layers() -> None:
    inner = _sequential(
        _input("i", [None, 3]), *[_layer("Dropout", f"d{i}", rate=0.1) for i in range(6)]
    )
    outer = _sequential(_input("x", [None, 3]), inner)
    assert size_config(outer).layers == 10  # both models, both inputs, six dropouts
    with pytest.raises(ConfigTooLarge, match="more than 9 layers"):
        size_config(outer, max_layers=9)


def test_a_long_sequential_is_refused_for_its_quadratic_rebuild() -> None:
    # Keras rebuilds a Sequential model with an Input after every layer it adds.
    def chain(count: int) -> dict[str, Any]:
        return _sequential(
            _input("x", [None, 3]), *[_layer("Dropout", f"d{i}", rate=0.1) for i in range(count)]
        )

    assert size_config(chain(99)).calls == 99 * 100 // 2 <= MAX_LAYER_CALLS
    with pytest.raises(ConfigTooLarge, match=r"more than 5,000 layer calls to rebuild"):
        size_config(chain(100), "long.keras")
    # Without an Input it is built once, at the end: one call a layer.
    assert (
        size_config(_sequential(*[_layer("Dropout", f"d{i}", rate=0.1) for i in range(300)])).calls
        == 300
    )


def test_a_malformed_layer_entry_is_named() -> None:
    with pytest.raises(CorruptModelFile, match="is not a Keras model config"):
        size_config({"class_name": "Sequential", "config": {"layers": ["Dense"]}})


def test_counts_saturate_instead_of_growing_without_bound() -> None:
    huge = [None, *([10**9] * 40)]
    config = _sequential(
        _input("x", huge), _layer("Flatten", "f"), _layer("Dense", "d", units=10**9)
    )
    size = size_config(config)
    assert MAX_CONFIG_PARAMS < size.weights <= 10**18


def test_the_module_imports_no_array_or_deep_learning_library() -> None:
    tree = ast.parse(Path(config_weights.__file__).read_text())
    imported = {
        alias.name.partition(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert not imported & {"numpy", "keras", "tensorflow", "torch", "jax"}


# --- hostile JSON: only the lab's refusals ------------------------------------------------------

_BASE = _functional(
    [
        _called(_input("x", [None, 5, 3])),
        _called(
            _layer("Embedding", "e", build=[None, 5, 3], input_dim=30, output_dim=4),
            {"args": [_tensor("x")]},
        ),
        _called(
            _layer(
                "Bidirectional",
                "bi",
                layer=_layer("LSTM", "l", build=[None, 5, 3], units=4, return_sequences=True),
            ),
            {"args": [_tensor("x")], "kwargs": {"mask": None}},
        ),
        _called(
            _layer("TimeDistributed", "td", layer=_layer("Dense", "d", units=2)),
            {"args": [_tensor("bi")]},
        ),
        _called(_layer("Concatenate", "c"), {"args": [[_tensor("td"), _tensor("bi")]]}),
        _called(
            _layer("RNN", "r", cell=_layer("GRUCell", "g", units=3), return_state=True),
            {"args": [_tensor("c")]},
        ),
    ],
    [["r", 0, 0], ["r", 0, 1]],
)
_JUNK = [
    None, True, 0, -1, 10**12, 1.5, float("inf"), "x", [], {}, [None], [[[[1]]]], {"a": 1},
    _tensor("nowhere", 3, 9), _tensor("x", -1, 0), {"class_name": "LSTM", "config": {}},
    [None, 10**9], {"class_name": "__lambda__", "config": {}},
]  # fmt: skip


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def test_the_hostile_base_config_is_sized() -> None:
    size = size_config(_BASE)
    assert (
        size.weights == 30 * 4 + 2 * _lstm_weights(3, 4) + 8 * 2 + 2 + 3 * 3 * (10 + 3) + 2 * 3 * 3
    )


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 4))
def test_mutated_configs_end_in_the_labs_refusal_or_a_count(rng: random.Random, edits: int) -> None:
    config = copy.deepcopy(_BASE)
    paths = [p for p in _paths(config) if p]
    for _ in range(edits):
        *parent_path, key = rng.choice(paths)
        parent: Any = config
        try:
            for step in parent_path:
                parent = parent[step]
            parent[key] = copy.deepcopy(rng.choice(_JUNK))
        except (KeyError, IndexError, TypeError):
            continue
    try:
        size = size_config(config, "fuzz.keras")
    except UploadError as error:
        assert str(error).startswith(("fuzz.keras ", "The server")) and "\n" not in str(error)
    else:
        assert 0 <= size.weights <= size.peak
