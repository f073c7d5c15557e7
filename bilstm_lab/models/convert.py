"""Turn a real Keras model's recurrent layers into bidirectional ones (and back).

`to_bidirectional` wraps the chosen LSTM/GRU/SimpleRNN layers of a Sequential or Functional
model in `Bidirectional`; every other layer is cloned. Weights follow one rule: a layer whose
weight shapes did not change keeps its weights; the forward direction of a new wrapper starts
from the original layer's weights (warm start, optional); anything whose shapes changed (the
next recurrent layer, a Dense head, because their input doubled under ``concat``) is freshly
initialised and listed. `unwrap_bidirectional` is the reverse, keeping the forward direction.
`convert_and_check` does either, then saves, reloads (``safe_mode=True``) and runs the result:
what the lab writes, it has first loaded back and run. The report types are plain data in
`bilstm_lab.core.conversion` (the server unpickles them without TensorFlow).

Nothing here touches Keras's global state: every fresh initializer gets an explicit seed derived
from the layer's name, and every created layer is named explicitly.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from bilstm_lab.core.conversion import (
    COLD,
    KEPT,
    NO_WEIGHTS,
    UNWRAPPED,
    WARM_STARTED,
    WIDTH_CHANGED,
    ConversionCheck,
    ConversionReport,
    Direction,
    LayerChange,
)
from bilstm_lab.core.errors import ConversionError
from bilstm_lab.core.spec import MergeMode
from bilstm_lab.models.builder import layer_output_shapes, layer_type
from bilstm_lab.models.introspect import (
    RECURRENT_TYPES,
    bidirectional_layer_names,
    model_layers,
    recurrent_layer_names,
)
from bilstm_lab.models.model_io import load_model_bytes, model_to_bytes

# Re-exported: callers and tests import the report types and names from here too.
__all__ = [
    "COLD",
    "KEPT",
    "NO_WEIGHTS",
    "RECURRENT_TYPES",
    "UNWRAPPED",
    "WARM_STARTED",
    "WIDTH_CHANGED",
    "CheckedConversion",
    "Conversion",
    "ConversionError",
    "ConversionReport",
    "LayerChange",
    "bidirectional_layer_names",
    "check_batch",
    "convert",
    "convert_and_check",
    "model_layers",
    "parse_merge_mode",
    "recurrent_layer_names",
    "to_bidirectional",
    "unwrap_bidirectional",
]


@dataclass(frozen=True)
class Conversion:
    """A converted model and its report."""

    model: keras.Model
    report: ConversionReport


def parse_merge_mode(value: MergeMode | str | None) -> MergeMode:
    """``"concat"``/``"sum"``/``"mul"``/``"ave"``/``"none"`` (or Keras's ``None``) as a `MergeMode`.

    Raises:
        ConversionError: naming the choices for anything else.
    """
    if isinstance(value, MergeMode):
        return value
    text = "none" if value is None else str(value).strip().lower()
    try:
        return MergeMode(text)
    except ValueError:
        choices = ", ".join(m.value for m in MergeMode)
        raise ConversionError(f"merge_mode must be one of {choices}, received {value!r}") from None


def _seed_for(name: str, seed: int, salt: str = "") -> int:
    # A stable per-layer seed: the same model converts to the same weights in every process.
    return (seed * 1_000_003 + zlib.crc32(f"{salt}{name}".encode())) % (2**31 - 1)


def _seeded_config(config: Any, seed: int) -> Any:
    """A copy of a layer config in which every initializer gets a new explicit seed."""
    counter = iter(range(1_000))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {key: walk(value) for key, value in node.items()}
            # Re-seed even seeded initializers: a fresh backward direction must not start as
            # a copy of the forward one (which a fixed seed in the original config would give).
            if "seed" in out and "class_name" not in out:
                out["seed"] = seed + next(counter)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(copy.deepcopy(config))


def _fresh_copy(layer: keras.layers.Layer, seed: int, **changes: Any) -> keras.layers.Layer:
    config = _seeded_config(layer.get_config(), _seed_for(layer.name, seed))
    config.update(changes)
    return layer.__class__.from_config(config)


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, suffix = wanted, 2
    while name in taken:
        name, suffix = f"{wanted}_{suffix}", suffix + 1
    taken.add(name)
    return name


def _check_chosen(chosen: Iterable[str], available: list[str], what: str) -> list[str]:
    names = list(dict.fromkeys(chosen))
    unknown = [name for name in names if name not in available]
    if unknown:
        offered = ", ".join(available) if available else "none"
        raise ConversionError(
            f"layers must name {what} of this model ({offered}), received {', '.join(unknown)}"
        )
    return names


def _weights_match(source: list[Any], target: keras.layers.Layer) -> bool:
    target_weights = target.get_weights()
    return len(source) == len(target_weights) and all(
        tuple(a.shape) == tuple(b.shape) for a, b in zip(source, target_weights, strict=True)
    )


def _is_built_model(model: Any) -> None:
    if not isinstance(model, keras.Model):
        raise ConversionError(f"model must be a Keras model, received {type(model).__name__}")
    # clone_model can only rewrite a layer graph: Sequential or Functional, not a subclass
    # whose call() is arbitrary Python.
    if not isinstance(model, keras.Sequential) and type(model).__name__ != "Functional":
        raise ConversionError(
            "model must be a Sequential or Functional Keras model (a subclassed model has no "
            f"layer graph to rewrite), received {type(model).__name__}"
        )
    try:
        model.inputs  # noqa: B018 - raises on an unbuilt Sequential
        if not model.inputs:
            raise AttributeError
    except (AttributeError, ValueError):
        raise ConversionError(
            "model has no defined input shape (an unbuilt Sequential): give it an Input layer "
            f"or build it first, received model {model.name!r}"
        ) from None


def _clone(model: keras.Model, replace: dict[str, Any], seed: int) -> keras.Model:
    """Clone ``model``, swapping the layers named in ``replace`` for what the factory returns."""

    def clone_function(layer: keras.layers.Layer) -> keras.layers.Layer:
        if layer.name in replace:
            return replace[layer.name](layer)
        # Unchanged layers: same config (same name); weights are copied afterwards if they fit.
        return _fresh_copy(layer, seed)

    try:
        return keras.models.clone_model(model, clone_function=clone_function)
    except ConversionError:
        raise
    except Exception as error:  # Keras raises many types while re-wiring the graph
        message = " ".join(str(error).split())[:300]
        raise ConversionError(f"the converted model could not be wired up: {message}") from None


def _report(
    original: keras.Model,
    converted: keras.Model,
    fates: dict[str, str],
    renamed: dict[str, str],
) -> ConversionReport:
    new_layers = {layer.name: layer for layer in model_layers(converted)}
    rows = []
    for layer in model_layers(original):
        after = new_layers[renamed.get(layer.name, layer.name)]
        rows.append(
            LayerChange(
                before=layer.name,
                after=after.name,
                type_before=layer_type(layer),
                type_after=layer_type(after),
                shapes_before=tuple(layer_output_shapes(layer)),
                shapes_after=tuple(layer_output_shapes(after)),
                params_before=layer.count_params(),
                params_after=after.count_params(),
                weights=fates[layer.name],
            )
        )
    return ConversionReport(tuple(rows))


def _carry_weights(
    original: keras.Model,
    converted: keras.Model,
    renamed: dict[str, str],
    fates: dict[str, str],
) -> None:
    """Copy the weights of every layer whose shapes did not change; record the rest as new."""
    new_layers = {layer.name: layer for layer in model_layers(converted)}
    for layer in model_layers(original):
        if layer.name in fates:  # converted/unwrapped layers were handled by the caller
            continue
        target = new_layers[renamed.get(layer.name, layer.name)]
        weights = layer.get_weights()
        if not weights:
            fates[layer.name] = NO_WEIGHTS
        elif _weights_match(weights, target):
            target.set_weights(weights)
            fates[layer.name] = KEPT
        else:
            fates[layer.name] = WIDTH_CHANGED


def to_bidirectional(
    model: keras.Model,
    layers: Sequence[str] | None = None,
    merge_mode: MergeMode | str = MergeMode.CONCAT,
    warm_start: bool = True,
    seed: int = 0,
) -> Conversion:
    """Wrap chosen recurrent layers of a model in `Bidirectional`; clone everything else.

    Args:
        model: a built Sequential or Functional Keras model (left untouched).
        layers: names of the LSTM/GRU/SimpleRNN layers to wrap; ``None`` means all of them.
        merge_mode: how each wrapper merges its directions (``concat``, ``sum``, ``mul``,
            ``ave`` or ``none``).
        warm_start: start each forward direction from the original layer's weights (when its
            input width did not change).
        seed: base seed for every freshly initialised weight (backward directions, widened
            layers); the same seed gives the same converted model.

    Returns:
        The converted model and the per-layer report.

    Raises:
        ConversionError: for an unbuilt or subclassed model, a model without recurrent layers,
            unknown layer names, a layer with ``return_state=True``, or merge mode ``none`` on a
            layer whose output feeds another layer.
    """
    _is_built_model(model)
    mode = parse_merge_mode(merge_mode)
    available = recurrent_layer_names(model)
    if not available:
        raise ConversionError(
            f"model has no LSTM, GRU or SimpleRNN layer to convert, received model {model.name!r} "
            f"with layers {', '.join(layer_type(x) for x in model_layers(model)) or 'none'}"
        )
    chosen = _check_chosen(available if layers is None else layers, available, "recurrent layers")
    if not chosen:
        raise ConversionError("layers must name at least one recurrent layer, received none")
    originals = {layer.name: layer for layer in model_layers(model)}
    for name in chosen:
        if originals[name].return_state:
            raise ConversionError(
                "a layer with return_state=True cannot be converted in place: its wrapper returns "
                "four states instead of two and the layers that use them would break, received "
                f"layer {name!r}"
            )
    taken = {layer.name for layer in model.layers}
    renamed = {name: _unique_name(f"bi_{name}", taken) for name in chosen}

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        forward = _fresh_copy(layer, seed)
        backward = _fresh_copy(layer, seed + 1, name=f"backward_{layer.name}", go_backwards=True)
        return keras.layers.Bidirectional(
            forward, backward_layer=backward, merge_mode=mode.keras_value, name=renamed[layer.name]
        )

    if mode is MergeMode.NONE:
        _check_merge_none_is_terminal(model, chosen)
    converted = _clone(model, dict.fromkeys(chosen, wrap), seed)
    if mode is MergeMode.NONE and not isinstance(model, keras.Sequential):
        converted = _expose_both_directions(model, converted, renamed)
    fates: dict[str, str] = {}
    new_layers = {layer.name: layer for layer in model_layers(converted)}
    for name in chosen:
        wrapper = new_layers[renamed[name]]
        weights = originals[name].get_weights()
        if not _weights_match(weights, wrapper.forward_layer):
            fates[name] = WIDTH_CHANGED
        elif warm_start:
            wrapper.forward_layer.set_weights(weights)
            fates[name] = WARM_STARTED
        else:
            fates[name] = COLD
    _carry_weights(model, converted, renamed, fates)
    return Conversion(converted, _report(model, converted, fates, renamed))


def _expose_both_directions(
    model: keras.Model, converted: keras.Model, renamed: dict[str, str]
) -> keras.Model:
    # A functional clone keeps the original's output structure (one tensor per output) and so
    # silently drops the backward tensor of a merge_mode=None wrapper; list both instead.
    # Which layer produced each output tensor, through public API (``layer.output``).
    producers = {
        id(tensor): layer.name
        for layer in model.layers
        for tensor in keras.tree.flatten(layer.output)
    }
    outputs: list[Any] = []
    for original, cloned in zip(model.outputs, converted.outputs, strict=True):
        producer = producers.get(id(original))
        if producer in renamed:
            outputs += list(converted.get_layer(renamed[producer]).output)  # forward, backward
        else:
            outputs.append(cloned)
    return keras.Model(converted.inputs, outputs, name=converted.name)


def _check_merge_none_is_terminal(model: keras.Model, chosen: list[str]) -> None:
    # merge_mode None yields two tensors; no downstream layer in a model takes a pair in place
    # of one tensor, so only a layer whose output is a model output may use it.
    output_ids = {id(tensor) for tensor in model.outputs}
    for name in chosen:
        output = model.get_layer(name).output
        tensors = output if isinstance(output, (list, tuple)) else [output]
        if not all(id(tensor) in output_ids for tensor in tensors):
            raise ConversionError(
                "merge_mode none returns two tensors (forward, backward), so it only works on a "
                "recurrent layer whose output is the model's output; choose concat, sum, mul or "
                f"ave, received merge_mode none for layer {name!r}"
            )


def unwrap_bidirectional(
    model: keras.Model, layers: Sequence[str] | None = None, seed: int = 0
) -> Conversion:
    """Replace chosen `Bidirectional` wrappers by their forward layer (backward dropped).

    Args:
        model: a built Sequential or Functional Keras model (left untouched).
        layers: names of the wrappers to unwrap; ``None`` means all of them.
        seed: base seed for layers that must be freshly initialised (their input narrowed).

    Returns:
        The converted model and the per-layer report. An unwrapped layer takes the forward
        layer's name without its ``forward_`` prefix.

    Raises:
        ConversionError: for an unbuilt model, one without wrappers, or unknown names.
    """
    _is_built_model(model)
    available = bidirectional_layer_names(model)
    if not available:
        raise ConversionError(
            f"model has no Bidirectional layer to unwrap, received model {model.name!r}"
        )
    chosen = _check_chosen(
        available if layers is None else layers, available, "Bidirectional layers"
    )
    if not chosen:
        raise ConversionError("layers must name at least one Bidirectional layer, received none")
    originals = {layer.name: layer for layer in model_layers(model)}
    taken = {layer.name for layer in model.layers} - set(chosen)
    renamed = {}
    for name in chosen:
        forward_name = originals[name].forward_layer.name
        wanted = forward_name.removeprefix("forward_") or name
        renamed[name] = _unique_name(wanted, taken)

    def unwrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        return _fresh_copy(layer.forward_layer, seed, name=renamed[layer.name])

    converted = _clone(model, dict.fromkeys(chosen, unwrap), seed)
    new_layers = {layer.name: layer for layer in model_layers(converted)}
    fates: dict[str, str] = {}
    for name in chosen:
        weights = originals[name].forward_layer.get_weights()
        target = new_layers[renamed[name]]
        if _weights_match(weights, target):
            target.set_weights(weights)
            fates[name] = UNWRAPPED
        else:
            fates[name] = WIDTH_CHANGED
    _carry_weights(model, converted, renamed, fates)
    return Conversion(converted, _report(model, converted, fates, renamed))


def convert(
    model: keras.Model,
    direction: Direction | str,
    layers: Sequence[str] | None = None,
    merge_mode: MergeMode | str = MergeMode.CONCAT,
    warm_start: bool = True,
    seed: int = 0,
) -> Conversion:
    """`to_bidirectional` (``direction="wrap"``) or `unwrap_bidirectional` (``"unwrap"``).

    ``merge_mode`` and ``warm_start`` only apply when wrapping.

    Raises:
        ConversionError: for an unknown direction, or anything the conversion refuses.
    """
    try:
        way = Direction(direction)
    except ValueError:
        choices = ", ".join(d.value for d in Direction)
        raise ConversionError(
            f"direction must be one of {choices}, received {direction!r}", "direction"
        ) from None
    if way is Direction.WRAP:
        return to_bidirectional(
            model, layers, merge_mode=merge_mode, warm_start=warm_start, seed=seed
        )
    return unwrap_bidirectional(model, layers, seed=seed)


def check_batch(model: keras.Model, batch_size: int = 2) -> list[np.ndarray]:
    """Zeros shaped like each of the model's inputs; a free (None) axis gets the size 4."""
    return [
        np.zeros(
            (batch_size, *(4 if dim is None else dim for dim in tensor.shape[1:])),
            dtype=tensor.dtype,
        )
        for tensor in model.inputs
    ]  # each (batch_size, *input shape); zeros are valid token ids too


@dataclass(frozen=True)
class CheckedConversion:
    """A conversion whose saved file was loaded back and run.

    Attributes:
        conversion: the converted (in-memory) model and its report.
        data: the ``.keras`` bytes that were checked.
        reloaded: the model loaded back from ``data`` (``safe_mode=True``).
        check: the numbers of the check.
    """

    conversion: Conversion
    data: bytes
    reloaded: keras.Model
    check: ConversionCheck


def convert_and_check(
    model: keras.Model,
    direction: Direction | str = Direction.WRAP,
    layers: Sequence[str] | None = None,
    merge_mode: MergeMode | str = MergeMode.CONCAT,
    warm_start: bool = True,
    seed: int = 0,
) -> CheckedConversion:
    """Convert, save to ``.keras`` bytes, load them back as an upload is loaded, and predict.

    The page's download and the CLI's output file are exactly the checked bytes.

    Args:
        model: a built Sequential or Functional Keras model (left untouched).
        direction: ``"wrap"`` (to Bidirectional) or ``"unwrap"``.
        layers: names of the layers to convert; ``None`` means all that qualify.
        merge_mode: see `to_bidirectional` (wrap only).
        warm_start: see `to_bidirectional` (wrap only).
        seed: base seed for every freshly initialised weight.

    Returns:
        The conversion, the bytes, the reloaded model and the check's numbers.

    Raises:
        ConversionError: anything the conversion refuses.
        UploadError: the saved file does not load back (a bug, never a broken download).
    """
    conversion = convert(model, direction, layers, merge_mode, warm_start, seed)
    data = model_to_bytes(conversion.model)
    reloaded = load_model_bytes(data, "the converted model")
    batch = check_batch(reloaded)
    outputs = keras.tree.flatten(
        reloaded.predict(batch[0] if len(batch) == 1 else batch, verbose=0)
    )
    check = ConversionCheck(
        size_bytes=len(data),
        batch_shapes=tuple(tuple(int(d) for d in array.shape) for array in batch),
        output_shapes=tuple(tuple(int(d) for d in np.shape(output)) for output in outputs),
    )
    return CheckedConversion(conversion, data, reloaded, check)
