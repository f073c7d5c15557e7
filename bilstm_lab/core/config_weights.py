"""Count the weights a Keras 3 ``config.json`` makes Keras create — before Keras sees it.

Keras creates every weight of a model while it rebuilds the model from its config, before it
reads the weights file. A hand-edited config (an LSTM(4) reading 10⁹ features, a Dense after a
huge Flatten, an Embedding with a vocabulary of 10¹⁰) therefore costs gigabytes to whoever
loads it, whatever the file's size. This module walks the config as plain JSON: it follows
every tensor's shape from the model's inputs (``InputLayer`` ``batch_shape``, a Sequential's
``build_input_shape``, each layer's stored ``build_config``) through the layers, into nested
models, wrappers and RNN cells, and counts each layer's weights from its full input shape, the
way Keras will create them. Pure Python (no TensorFlow, Keras or NumPy): microseconds a layer.

Rules, each on the safe side of what Keras allocates:

- A layer's weights are counted from every input shape Keras could build it with: its stored
  ``build_config`` (Keras builds from it while deserializing) and each call that reaches it
  (Keras builds an unbuilt layer at its first call); the largest counts. In a file Keras wrote
  these agree, so the count is exact: `ConfigSize.weights` equals ``model.count_params()``.
- `ConfigSize.peak` adds what loading creates besides the model's weights: the layer a
  ``Bidirectional`` is deserialized from (copied, then dropped), a stateful RNN's state
  variables (batch × units), and an unbuilt layer's input-independent weights (an Embedding's
  table, which any later build would create). The limit applies to the peak.
- A layer class with no formula here is refused (`LayerNotSizable`), not estimated: its weights
  can hide in any key (Conv3D's kernel_size, EinsumDense's equation), so neither its stored input
  shape nor a guess from a few keys bounds them — a guess from ``units`` and ``input_dim`` is
  what let a wide input through before. A class Keras itself lacks gets Keras's reason instead
  (the ``known_class`` hook), and layers that carry code or read files (Lambda, TFSMLayer, a
  vocabulary file) get theirs.
- A weighted layer whose input shape cannot be followed (after a Lambda with a named function)
  and that has no ``build_config`` is refused the same way: its width is unknown.
- The walk is bounded in layers (`MAX_CONFIG_LAYERS`), nesting (`MAX_NESTING`) and time
  (`CHECK_SECONDS`), so no file costs more than a fraction of a second to refuse; and the
  rebuild it describes is bounded in layer calls (`MAX_LAYER_CALLS`), so no accepted file holds
  a worker's CPU for long (a Sequential model rebuilds itself after every layer it adds).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bilstm_lab.core import explain
from bilstm_lab.core.errors import (
    ConfigTooLarge,
    CorruptModelFile,
    LayerNotSizable,
    UnsafeModelFile,
)

#: Most weights a config may make Keras create while loading. A genuine model this large would
#: not fit in the upload limit anyway (30 M float32 weights are 120 MB); a hand-edited config
#: asking for more would take a worker's memory.
MAX_CONFIG_PARAMS = 30_000_000
#: Most layers a config may hold, counting those inside nested models, wrappers and RNN cells.
#: Keras needs about a millisecond to rebuild each one (a 10,000-layer file: 9 s of CPU), so
#: this bounds a load's rebuild to about a second; the lab's models have under 20 layers, and
#: the largest Keras Applications model (EfficientNetB7) about 800.
MAX_CONFIG_LAYERS = 1_000
#: Most layer calls Keras may make while rebuilding the model. A Functional model calls each
#: layer once per use, but a Sequential model with an Input rebuilds itself after every layer it
#: adds: n layers cost n(n+1)/2 calls (200 layers: 20,100, minutes of a worker's CPU), so the
#: layer limit alone does not bound a load. At about a millisecond a call this keeps a load to a
#: few seconds; a Sequential model of 99 layers still fits.
MAX_LAYER_CALLS = 5_000
#: Deepest nesting of models, wrappers and cells (real files: under 5). Bounds the recursion.
MAX_NESTING = 32
#: Most CPU time the walk may take before the file is refused (a real config takes
#: milliseconds). Counted on the checking thread's own clock, with the garbage collector paused
#: during the walk: a busy machine or a collection over a large heap never fails a real file.
CHECK_SECONDS = 0.5
#: Bytes of one float32 weight, for the refusal's memory figure.
BYTES_PER_WEIGHT = 4

#: Counts saturate here: a hostile shape must not make Python multiply huge integers.
_CAP = 10**18
#: Deepest nesting of a stored shape structure or of a call's arguments that the walk follows.
_MAX_STRUCTURE = 8

#: The classes whose config holds a Functional model.
_FUNCTIONAL = frozenset({"Functional", "Model"})
_MODELS = _FUNCTIONAL | {"Sequential"}

#: Says whether Keras knows a class: ``(class_name, module, registered_name) -> bool``.
KnownClass = Callable[[str, Any, Any], bool]
#: A clock in seconds (``time.thread_time``: this thread's CPU time; tests pass a fake one).
Clock = Callable[[], float]


class _Unknown:
    """A tensor whose shape the config does not determine (after a Lambda, a broken reference)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


#: The shape of a tensor the walk cannot follow.
UNKNOWN: Any = _Unknown()

#: What flows along an edge: a shape (a tuple of ints and Nones), `UNKNOWN`, or a list or dict
#: of values (a layer with several inputs or outputs).
Value = Any
Shape = tuple[int | None, ...]


class _Unfit(Exception):
    """The input does not fit the layer (wrong rank, an undefined width): Keras fails to build it,
    so it creates nothing."""


class _NotYet(Exception):
    """A call's input comes from a call not processed yet (Keras's IndexError: try again later)."""


@dataclass(frozen=True)
class ConfigSize:
    """What loading a config costs, counted from the config alone.

    Attributes:
        weights: the weights the loaded model holds (``model.count_params()``; 0 when unbuilt).
        peak: the weight values Keras creates while loading: ``weights`` plus throwaway copies,
            stateful RNN states and unbuilt layers' input-independent weights. The limit's count.
        layers: layer configs walked, nested ones included.
        calls: layer calls Keras makes while rebuilding the model (`MAX_LAYER_CALLS`).
        largest: the layer that makes Keras create the most values (weights, plus states and
            throwaway copies): ``(path, class name, count)``.
    """

    weights: int
    peak: int
    layers: int
    calls: int = 0
    largest: tuple[str, str, int] = ("", "", 0)

    @property
    def peak_bytes(self) -> int:
        """``peak`` in bytes (float32)."""
        return self.peak * BYTES_PER_WEIGHT


# --- values ------------------------------------------------------------------------------------


def _mul(*factors: int | None) -> int:
    """The product, saturating at `_CAP`; an undefined (None) factor fails the build."""
    result = 1
    for factor in factors:
        if factor is None:
            raise _Unfit
        result = min(_CAP, result * factor)
    return result


def _add(*terms: int) -> int:
    return min(_CAP, sum(terms))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_value(raw: Any, depth: int = 0) -> Value | None:
    """A shape or nested structure of shapes from JSON; None when it is none (Keras fails too).

    A shape is a list of whole numbers ≥ 0 and nulls (booleans count as 0 and 1, as in Keras);
    floats, strings and negative sizes are refused by Keras's ``standardize_shape``.
    """
    if depth > _MAX_STRUCTURE:
        return None
    if isinstance(raw, list):
        if all(d is None or isinstance(d, int) for d in raw):
            if any(d is not None and d < 0 for d in raw):
                return None
            return tuple(None if d is None else min(_CAP, int(d)) for d in raw)
        parts = [_parse_value(item, depth + 1) for item in raw]
        return None if any(p is None for p in parts) else parts
    if isinstance(raw, dict):
        parsed = {str(k): _parse_value(v, depth + 1) for k, v in raw.items()}
        return None if any(p is None for p in parsed.values()) else parsed
    return None


def _leaves(value: Value) -> list[Value]:
    """A value's tensors in Keras's flattening order (lists in order, dicts by sorted key)."""
    if isinstance(value, tuple) or value is UNKNOWN:
        return [value]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _leaves(value[key])]
    return [UNKNOWN]


def _has_unknown(value: Value) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    return False


def _shape(value: Value) -> Shape:
    """The single shape a one-input layer gets; `_Unfit` for anything else."""
    if isinstance(value, tuple):
        return value
    raise _Unfit


def _dim(shape: Shape, axis: int) -> int | None:
    try:
        return shape[axis]
    except IndexError:
        raise _Unfit from None


def _shared_id(entry: dict[str, Any]) -> int | str | None:
    """The id Keras shares one object under (its later entries are that object), if any."""
    shared = entry.get("shared_object_id")
    return shared if isinstance(shared, (int, str)) and not isinstance(shared, bool) else None


def _combine(entry: dict[str, Any], counted: int, weights: int) -> int:
    """One more call of a layer: a layer is built once, so the most any call needs counts; a
    shared object's calls already return only what they add, so those add up."""
    return _add(counted, weights) if _shared_id(entry) is not None else max(counted, weights)


def _input_shape(config: dict[str, Any]) -> Value:
    """An InputLayer's batch shape, from any of the spellings Keras accepts."""
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key) is not None:
            parsed = _parse_value(config[key])
            return parsed if isinstance(parsed, tuple) else UNKNOWN
    for key in ("shape", "input_shape"):
        if config.get(key) is not None:
            parsed = _parse_value(config[key])
            raw_batch = config.get("batch_size")
            batch = raw_batch if isinstance(raw_batch, int) and raw_batch >= 0 else None
            return (batch, *parsed) if isinstance(parsed, tuple) else UNKNOWN
    return UNKNOWN


def _call_value(class_name: Any, args: list[Any], kwargs: dict[str, Any]) -> Value:
    """What a call passes, in the form the layer's build_config records it."""
    if class_name in _BINARY_OPS and len(args) >= 2:  # an operation: x + y, not Add()([x, y])
        return [_operand(args[0]), _operand(args[1])]
    if class_name == "MultiHeadAttention":
        query = args[0] if args else kwargs.get("query", UNKNOWN)
        value = args[1] if len(args) > 1 else kwargs.get("value", UNKNOWN)
        key = args[2] if len(args) > 2 else kwargs.get("key")
        shapes = {"query_shape": _clean(query), "value_shape": _clean(value)}
        if key is not None:
            shapes["key_shape"] = _clean(key)
        if kwargs.get("return_attention_scores") is True:
            shapes["scores"] = ()
        return shapes
    if class_name in ("Attention", "AdditiveAttention"):
        inputs = _clean(args[0] if args else kwargs.get("inputs", UNKNOWN))
        if kwargs.get("return_attention_scores") is True:
            return {"inputs": inputs, "scores": ()}
        return inputs
    return _clean(args[0] if args else kwargs.get("inputs", kwargs.get("sequences", UNKNOWN)))


def _operand(value: Any) -> Value:
    """An operation's argument: a tensor's shape, a number as a scalar ``()``."""
    if isinstance(value, (int, float)):
        return ()
    return _clean(value)


def _clean(value: Any) -> Value:
    """A call argument as a value: tensors stay, anything else (a number, None) is unknown."""
    if isinstance(value, tuple) or value is UNKNOWN:
        return value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return UNKNOWN


# --- the walk ----------------------------------------------------------------------------------

#: A layer's handler: ``(walker, entry, config, inputs, depth, built)`` -> the layer's weights
#: (the most any input needs) and one output per input. ``inputs`` ends with the stored
#: build_config's shape when there is one (``built``).
Handler = Callable[
    ["_Walker", dict[str, Any], dict[str, Any], list[Value], int, bool], tuple[int, list[Value]]
]


class _Walker:
    """One walk over one config: counters, limits, memo, and the file's name for messages."""

    def __init__(
        self,
        name: str,
        known_class: KnownClass | None,
        clock: Clock,
        budget: float,
        max_layers: int,
    ) -> None:
        self.name = name
        self.known_class = known_class
        self.clock = clock
        self.budget = budget
        self.deadline = clock() + budget
        self.max_layers = max_layers
        self.extra = 0  # weight values created while loading but not kept by the model
        self.seen: set[int] = set()  # layer entries counted, by id
        self.memo: dict[tuple[int, str], tuple[int, list[Value]]] = {}
        self.shared_entries: dict[Any, dict[str, Any]] = {}  # shared_object_id -> first entry
        self.shared_counted: dict[Any, int] = {}  # shared_object_id -> weights counted so far
        self.path: list[str] = []
        self.largest: tuple[str, str, int] = ("", "", 0)
        self.calls = 0  # layer calls Keras makes while rebuilding the model
        self.call_weight: dict[int, int] = {}  # model entry -> layer calls one call of it makes

    # -- limits and messages --

    def tick(self) -> None:
        if self.clock() > self.deadline:
            raise ConfigTooLarge(explain.config_too_slow(self.name, self.budget))

    def open(self, entry: Any, depth: int) -> tuple[str, dict[str, Any]]:
        """Count ``entry`` (once) and check the limits; its class name and config."""
        if depth > MAX_NESTING:
            raise ConfigTooLarge(explain.config_too_deep(self.name, MAX_NESTING))
        self.tick()
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("class_name"), str)
            and isinstance(entry.get("config"), dict)
        ):
            raise CorruptModelFile(explain.load_failed(self.name, explain.MALFORMED_LAYER))
        if id(entry) not in self.seen:
            self.seen.add(id(entry))
            if len(self.seen) > self.max_layers:
                raise ConfigTooLarge(explain.config_too_many_layers(self.name, self.max_layers))
        return entry["class_name"], entry["config"]

    def rebuild(self, entry: dict[str, Any], calls: int, one_call: int) -> None:
        """Add a model's rebuild cost (once per entry) and the cost of calling it once."""
        if id(entry) in self.call_weight:
            return
        self.call_weight[id(entry)] = one_call
        self.calls = _add(self.calls, calls)
        if self.calls > MAX_LAYER_CALLS:
            raise ConfigTooLarge(explain.config_too_many_calls(self.name, MAX_LAYER_CALLS))

    def where(self) -> str:
        """The current layer's path (``outer/inner``), for messages."""
        return "/".join(self.path)

    def positive(
        self, config: dict[str, Any], key: str, class_name: str, default: Any = None
    ) -> int:
        """``config[key]`` as a whole number ≥ 1, or refuse the file naming the key."""
        value = config.get(key, default)
        if not _whole(value) or value < 1:
            raise CorruptModelFile(explain.impossible_layer_size(self.name, class_name, key, value))
        return int(min(_CAP, value))

    def unknown_input(self, class_name: str) -> LayerNotSizable:
        return LayerNotSizable(explain.layer_input_unknown(self.name, class_name, self.where()))

    # -- layers --

    def layer(self, entry: Any, inputs: list[Value], depth: int) -> tuple[int, list[Value]]:
        """The weights of layer ``entry`` called with each of ``inputs`` (the most any needs:
        Keras builds it once) and its output for each."""
        class_name, config = self.open(entry, depth)
        shared = _shared_id(entry)
        if shared is not None:  # Keras reuses the first object with this id
            entry = self.shared_entries.setdefault(shared, entry)
            class_name, config = self.open(entry, depth)
        handler = _HANDLERS.get(class_name)
        if handler is None and _is_operation(entry):
            handler = _operation
        name = config.get("name")
        self.path.append(name if isinstance(name, str) else "?")
        try:
            if handler is None:
                raise self.refusal(class_name, entry, config)
            build = entry.get("build_config")
            stored = None
            if isinstance(build, dict):
                raw = build.get("input_shape", build.get("shapes_dict"))
                stored = _parse_value(raw) if raw is not None else None
            everything = [*inputs, *([stored] if stored is not None else [])]
            key = (id(entry), repr(everything))
            if key in self.memo:
                weights, outputs = self.memo[key]
            else:
                extra_before = self.extra
                built = stored is not None
                weights, outputs = handler(self, entry, config, everything, depth, built)
                self.memo[key] = (weights, outputs)
                created = _add(weights, self.extra - extra_before)  # with states and copies
                if created > self.largest[2] and class_name not in _MODELS:
                    self.largest = (self.where(), class_name, created)
        finally:
            self.path.pop()
        if shared is not None:
            # One object: what this call needs beyond what its other entries and calls already
            # counted, so that summing a shared object's results gives the most any call needs.
            before = self.shared_counted.get(shared, 0)
            self.shared_counted[shared] = max(before, weights)
            weights = max(0, weights - before)
        return weights, outputs[: len(inputs)]

    def refusal(self, class_name: str, entry: dict[str, Any], config: dict[str, Any]) -> Exception:
        """The refusal for a layer class this module cannot size, with the most precise reason."""
        if class_name == "TFSMLayer":
            return UnsafeModelFile(explain.tfsm_layer(self.name))
        if class_name == "TorchModuleWrapper":
            return UnsafeModelFile(explain.torch_module(self.name))
        if isinstance(config.get("vocabulary"), str):
            return UnsafeModelFile(explain.vocabulary_file(self.name))
        if self.known_class is not None and not self.known_class(
            class_name, entry.get("module"), entry.get("registered_name")
        ):
            return CorruptModelFile(
                explain.load_failed(self.name, explain.unknown_keras_object(class_name))
            )
        return LayerNotSizable(explain.layer_not_sizable(self.name, class_name, self.where()))

    # -- Functional graphs --

    def functional(
        self, entry: dict[str, Any], config: dict[str, Any], depth: int
    ) -> tuple[int, Value]:
        """A Functional graph's weights and output, its calls followed in Keras's order."""
        key = (id(entry), "graph")
        if key in self.memo:
            weights, (output,) = self.memo[key]
            return weights, output
        entries = config.get("layers")
        entries = entries if isinstance(entries, list) else []
        by_name: dict[str, dict[str, Any]] = {}
        for layer_entry in entries:
            if isinstance(layer_entry, dict) and isinstance(layer_entry.get("name"), str):
                by_name[layer_entry["name"]] = layer_entry
        produced: dict[str, list[list[Value]]] = {}  # layer name -> per call: its output tensors
        counted: dict[int, int] = {}  # entry index -> the most any of its calls needs
        pending: dict[int, list[Any]] = {}
        for index, layer_entry in enumerate(entries):
            class_name, layer_config = self.open(layer_entry, depth + 1)
            name = layer_entry.get("name")
            if class_name == "InputLayer":
                counted[index] = self.layer(layer_entry, [], depth + 1)[0]
                if isinstance(name, str):
                    produced[name] = [[_input_shape(layer_config)]]
                continue
            nodes = layer_entry.get("inbound_nodes")
            if isinstance(nodes, list) and nodes:
                pending[index] = list(nodes)
            else:  # never called: only its build_config builds it
                counted[index] = self.layer(layer_entry, [], depth + 1)[0]
        progress, calls = True, 0
        while pending and progress:  # passes over the layers, as Keras makes the calls
            progress = False
            for index in list(pending):
                layer_entry, nodes = entries[index], pending[index]
                while nodes:
                    self.tick()
                    try:
                        call_input = self.node_input(layer_entry, nodes[0], produced, by_name)
                    except _NotYet:
                        break
                    nodes.pop(0)
                    progress = True
                    weights, (output,) = self.layer(layer_entry, [call_input], depth + 1)
                    calls = _add(calls, self.call_weight.get(id(layer_entry), 1))
                    counted[index] = _combine(layer_entry, counted.get(index, 0), weights)
                    name = layer_entry.get("name")
                    if isinstance(name, str):
                        produced.setdefault(name, []).append(_leaves(output))
                if not nodes:
                    del pending[index]
        for index in pending:  # calls Keras never makes (a loop, a missing layer): build_config
            weights = self.layer(entries[index], [], depth + 1)[0]
            counted[index] = _combine(entries[index], counted.get(index, 0), weights)
        self.rebuild(entry, calls, calls)
        total = _add(*counted.values())
        output = self.resolve(config.get("output_layers"), produced, by_name, strict=False)
        self.memo[key] = (total, [output])
        return total, output

    def node_input(
        self,
        entry: dict[str, Any],
        node: Any,
        produced: dict[str, list[list[Value]]],
        by_name: dict[str, dict[str, Any]],
    ) -> Value:
        """What one call of ``entry`` receives.

        Raises:
            _NotYet: an input comes from a call not made yet.
        """
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            args = node.get("args")
            kwargs = node.get("kwargs")
            args = self.tensors(args if isinstance(args, list) else [], produced, by_name, 0)
            kwargs = self.tensors(kwargs if isinstance(kwargs, dict) else {}, produced, by_name, 0)
            return _call_value(
                entry.get("class_name"),
                args if isinstance(args, list) else [args],
                kwargs if isinstance(kwargs, dict) else {},
            )
        if isinstance(node, list):  # legacy: [[layer, node, tensor, kwargs], ...]
            inputs = [
                self.resolve(item[:3], produced, by_name, strict=True)
                if isinstance(item, list)
                else UNKNOWN
                for item in node
            ]
            return inputs[0] if len(inputs) == 1 else inputs
        return UNKNOWN

    def tensors(
        self,
        raw: Any,
        produced: dict[str, list[list[Value]]],
        by_name: dict[str, dict[str, Any]],
        depth: int,
    ) -> Any:
        """``raw`` (a call's args or kwargs) with each serialized tensor replaced by its shape."""
        if depth > _MAX_STRUCTURE:
            return UNKNOWN
        if isinstance(raw, dict):
            if raw.get("class_name") == "__keras_tensor__":
                inner = raw.get("config")
                history = inner.get("keras_history") if isinstance(inner, dict) else None
                return self.resolve(history, produced, by_name, strict=True)
            return {k: self.tensors(v, produced, by_name, depth + 1) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.tensors(v, produced, by_name, depth + 1) for v in raw]
        return raw

    def resolve(
        self,
        ref: Any,
        produced: dict[str, list[list[Value]]],
        by_name: dict[str, dict[str, Any]],
        *,
        strict: bool,
        depth: int = 0,
    ) -> Value:
        """The tensor ``[layer, node, tensor]`` names (or a structure of such references).

        Raises:
            _NotYet: (``strict``) the call it names has not been made yet.
        """
        if depth > _MAX_STRUCTURE:
            return UNKNOWN
        if isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str):
            name, node_index, tensor_index = ref
            target = by_name.get(name)
            if target is None or not (_whole(node_index) and _whole(tensor_index)):
                return UNKNOWN
            if target.get("class_name") in _FUNCTIONAL:
                node_index -= 1  # a Functional model starts out with a built-in call
            calls = produced.get(name, [])
            if node_index < 0:
                return UNKNOWN
            if node_index >= len(calls):
                if strict:
                    raise _NotYet
                return UNKNOWN
            outputs = calls[node_index]
            return outputs[tensor_index] if 0 <= tensor_index < len(outputs) else UNKNOWN
        if isinstance(ref, list):
            return [self.resolve(r, produced, by_name, strict=strict, depth=depth + 1) for r in ref]
        if isinstance(ref, dict):
            return {
                str(k): self.resolve(v, produced, by_name, strict=strict, depth=depth + 1)
                for k, v in ref.items()
            }
        return UNKNOWN


# --- one-input layers --------------------------------------------------------------------------

#: A layer as a function of one input: ``(walker, config, class_name, input)`` ->
#: ``(weights, output)``; raises `_Unfit` when Keras could not build it from that input.
Sized = Callable[[_Walker, dict[str, Any], str, Value], tuple[int, Value]]
#: Weights a layer creates whatever its input (an Embedding's table).
Unbuilt = Callable[[_Walker, dict[str, Any], str], int]


def _simple(sized: Sized, *, weighted: bool = True, unbuilt: Unbuilt | None = None) -> Handler:
    """A handler from a one-input function: the largest count over the inputs, one output each.

    ``weighted`` layers whose input cannot be followed need a build_config (else: refused).
    """

    def handler(
        walker: _Walker,
        entry: dict[str, Any],
        config: dict[str, Any],
        inputs: list[Value],
        depth: int,
        built: bool,
    ) -> tuple[int, list[Value]]:
        class_name = entry["class_name"]
        if weighted and not built and any(_has_unknown(v) for v in inputs):
            raise walker.unknown_input(class_name)
        if unbuilt is not None:
            own = unbuilt(walker, config, class_name)  # checks the config's sizes too
            if not inputs:
                walker.extra = _add(walker.extra, own)  # a later build would create these
        weights, outputs = 0, []
        for value in inputs:
            if _has_unknown(value):
                outputs.append(UNKNOWN)
                continue
            try:
                count, output = sized(walker, config, class_name, value)
            except _Unfit:
                count, output = 0, UNKNOWN
            weights = max(weights, count)
            outputs.append(output)
        return weights, outputs

    return handler


def _same(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    return 0, value


def _refuse_quantized(walker: _Walker, config: dict[str, Any], class_name: str) -> None:
    """A quantized layer stores other tensors than its float weights: not sized here."""
    policy = config.get("dtype")
    policy_class = policy.get("class_name") if isinstance(policy, dict) else None
    quantized = policy_class is not None and policy_class not in ("DTypePolicy", "FloatDTypePolicy")
    if config.get("quantization_config") is not None or quantized:
        raise LayerNotSizable(
            explain.layer_not_sizable(walker.name, f"quantized {class_name}", walker.where())
        )


def _lora(walker: _Walker, config: dict[str, Any], class_name: str, rows: int, columns: int) -> int:
    """The two low-rank matrices ``lora_rank`` adds to a kernel of ``rows`` × ``columns``."""
    if config.get("lora_rank") is None:
        return 0
    rank = walker.positive(config, "lora_rank", class_name)
    return _add(_mul(rows, rank), _mul(rank, columns))


def _dense(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    units = walker.positive(config, "units", class_name)
    _refuse_quantized(walker, config, class_name)
    shape = _shape(value)
    width = _dim(shape, -1)
    if width is None:
        raise _Unfit
    weights = _add(_mul(width, units), units if config.get("use_bias", True) else 0)
    return _add(weights, _lora(walker, config, class_name, width, units)), (*shape[:-1], units)


def _embedding_table(walker: _Walker, config: dict[str, Any], class_name: str) -> int:
    rows = walker.positive(config, "input_dim", class_name)
    columns = walker.positive(config, "output_dim", class_name)
    _refuse_quantized(walker, config, class_name)
    return _add(_mul(rows, columns), _lora(walker, config, class_name, rows, columns))


def _embedding(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    weights = _embedding_table(walker, config, class_name)
    return weights, (*_shape(value), int(config["output_dim"]))


# Recurrent cells: kernels per gate, and how many state vectors the layer carries.
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1, "LSTMCell": 4, "GRUCell": 3, "SimpleRNNCell": 1}
_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1, "LSTMCell": 2, "GRUCell": 1, "SimpleRNNCell": 1}


def _cell_weights(
    walker: _Walker, config: dict[str, Any], class_name: str, width: int | None
) -> int:
    """A recurrent cell's weights on ``width`` input features: gates × units × (width + units + 1)."""
    units = walker.positive(config, "units", class_name)
    if width is None:
        raise _Unfit
    gates = _GATES[class_name]
    kernels = _mul(gates, units, _add(width, units))
    bias = 0
    if config.get("use_bias", True):
        # A GRU with reset_after (Keras 3's default) has a second, recurrent bias.
        two = class_name.startswith("GRU") and config.get("reset_after", True)
        bias = _mul(2 if two else 1, gates, units)
    return _add(kernels, bias)


def _cell(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    """A cell built on one step's shape ``(batch, features)``."""
    shape = _shape(value)
    weights = _cell_weights(walker, config, class_name, _dim(shape, -1))
    return weights, (_dim(shape, 0), int(config["units"]))


def _cell_sizes(walker: _Walker, entry: Any, depth: int) -> tuple[int, list[int]]:
    """A cell entry's output size and its state sizes (StackedRNNCells: every cell's, in order)."""
    class_name, config = walker.open(entry, depth)
    if class_name == "StackedRNNCells":
        cells = config.get("cells")
        output, states = 0, []
        for cell in cells if isinstance(cells, list) else []:
            output, more = _cell_sizes(walker, cell, depth + 1)
            states.extend(more)
        return output, states
    if class_name not in _STATES:
        return 0, []
    units = walker.positive(config, "units", class_name)
    return units, [units] * _STATES[class_name]


def _stacked_cells(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    cells = config.get("cells")
    values, total = list(inputs), 0
    for cell in cells if isinstance(cells, list) else []:
        weights, values = walker.layer(cell, values, depth + 1)
        total = _add(total, weights)
    return total, values


def _recurrent(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    """LSTM, GRU, SimpleRNN and RNN(cell): Keras builds the cell on ``(batch,) + shape[2:]``."""
    class_name = entry["class_name"]
    if not built and any(_has_unknown(v) for v in inputs):
        raise walker.unknown_input(class_name)
    steps = [
        (v[0], *v[2:]) for v in inputs if isinstance(v, tuple) and v
    ]  # what the cell is built on (from a build_config of any rank, as Keras does)
    if class_name == "RNN":
        cell = config.get("cell")
        weights, _ = walker.layer(cell, steps, depth + 1)
        units, states = _cell_sizes(walker, cell, depth + 1)
    else:
        units = walker.positive(config, "units", class_name)
        states = [units] * _STATES[class_name]
        weights = 0
        for step in steps:
            with contextlib.suppress(_Unfit):  # Keras fails to build on this one: nothing made
                weights = max(weights, _cell_weights(walker, config, class_name, _dim(step, -1)))
    outputs: list[Value] = []
    state_values = 0
    for value in inputs:
        if not isinstance(value, tuple) or len(value) < 2:
            outputs.append(UNKNOWN)
            continue
        batch = value[0]
        sequence: Value = (
            (batch, value[1], units) if config.get("return_sequences") else (batch, units)
        )
        if config.get("return_state"):
            sequence = [sequence, *[(batch, size) for size in states]]
        outputs.append(sequence)
        if config.get("stateful") and batch is not None:  # state variables: batch × each state
            state_values = max(state_values, _mul(batch, _add(*states)))
    walker.extra = _add(walker.extra, state_values)
    return weights, outputs


def _bidirectional(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    forward_entry = config.get("layer")
    backward_entry = config.get("backward_layer")
    forward, forward_out = walker.layer(forward_entry, inputs, depth + 1)
    if backward_entry is None:  # a copy of the forward layer, reading backwards
        backward, backward_out = forward, forward_out
    else:
        backward, backward_out = walker.layer(backward_entry, inputs, depth + 1)
    # Keras deserializes the wrapped layer (built from its build_config), copies it into the
    # forward layer and drops it: one more set of weights, for a moment.
    walker.extra = _add(walker.extra, walker.layer(forward_entry, [], depth + 1)[0])
    merge = config.get("merge_mode", "concat")
    outputs = [
        _merge_directions(merge, f, b) for f, b in zip(forward_out, backward_out, strict=True)
    ]
    return _add(forward, backward), outputs


def _merge_directions(merge: Any, forward: Value, backward: Value) -> Value:
    """A Bidirectional's output from both directions' (``[output, *states]`` with return_state)."""
    states: list[Value] = []
    if isinstance(forward, list) and isinstance(backward, list) and forward and backward:
        states = [*forward[1:], *backward[1:]]
        forward, backward = forward[0], backward[0]
    merged: list[Value]
    if merge is None:
        merged = [forward, backward]
    elif not (isinstance(forward, tuple) and isinstance(backward, tuple) and forward and backward):
        merged = [UNKNOWN]
    elif merge == "concat":
        width_f, width_b = forward[-1], backward[-1]
        merged = [
            (*forward[:-1], None if width_f is None or width_b is None else width_f + width_b)
        ]
    else:
        merged = [forward]
    outputs = [*merged, *states]
    return outputs[0] if len(outputs) == 1 else outputs


def _time_distributed(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    """The wrapped layer runs on ``(batch,) + shape[2:]`` (Keras refuses fewer than 3 axes)."""
    children: list[Value | None] = []
    for value in inputs:
        if value is UNKNOWN:
            children.append(None if built else UNKNOWN)  # built: the inner layer is built already
        elif isinstance(value, tuple) and len(value) >= 3:
            children.append((value[0], *value[2:]))
        else:
            children.append(None)
    passed = [c for c in children if c is not None]
    weights, inner = walker.layer(config.get("layer"), passed, depth + 1)
    inner_iter = iter(inner)
    outputs: list[Value] = []
    for value, child in zip(inputs, children, strict=True):
        result = next(inner_iter) if child is not None else UNKNOWN
        if child is None or child is UNKNOWN or not isinstance(result, tuple) or not result:
            outputs.append(UNKNOWN)
        else:
            outputs.append((result[0], value[1], *result[1:]))
    return weights, outputs


def _tuple_of(
    walker: _Walker,
    config: dict[str, Any],
    key: str,
    class_name: str,
    rank: int,
    default: int | None = None,
) -> tuple[int, ...]:
    """A size Keras accepts as one number or one per spatial axis (kernel_size, strides)."""
    value = config.get(key)
    if value is None:
        value = default
    items = value if isinstance(value, list) else [value] * rank
    if len(items) != rank:
        raise CorruptModelFile(explain.impossible_layer_size(walker.name, class_name, key, value))
    return tuple(walker.positive({key: item}, key, class_name) for item in items)


def _window(size: int | None, window: int, stride: int, dilation: int, padding: Any) -> int | None:
    """One spatial axis after a convolution or pooling window (Keras's formula)."""
    if size is None:
        return None
    if padding == "valid":
        out = (size - dilation * (window - 1) - 1) // stride + 1
        if out <= 0:
            raise _Unfit  # Keras refuses before creating any weight
        return out
    return (size - 1) // stride + 1


def _conv(rank: int) -> Sized:
    def sized(
        walker: _Walker, config: dict[str, Any], class_name: str, value: Value
    ) -> tuple[int, Value]:
        filters = walker.positive(config, "filters", class_name)
        groups = walker.positive(config, "groups", class_name, 1)
        kernel = _tuple_of(walker, config, "kernel_size", class_name, rank)
        strides = _tuple_of(walker, config, "strides", class_name, rank, 1)
        dilation = _tuple_of(walker, config, "dilation_rate", class_name, rank, 1)
        _refuse_quantized(walker, config, class_name)
        shape = _shape(value)
        first = config.get("data_format") == "channels_first"
        channels = _dim(shape, 1 if first else -1)
        if len(shape) != rank + 2 or channels is None or channels % groups:
            raise _Unfit
        per_filter = _mul(*kernel, channels // groups)
        weights = _add(_mul(per_filter, filters), filters if config.get("use_bias", True) else 0)
        weights = _add(weights, _lora(walker, config, class_name, per_filter, filters))
        spatial = shape[2:] if first else shape[1:-1]
        padding = config.get("padding", "valid")
        out = tuple(
            _window(size, k, s, d, padding)
            for size, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)
        )
        return weights, ((shape[0], filters, *out) if first else (shape[0], *out, filters))

    return sized


def _pooling(rank: int) -> Sized:
    def sized(
        walker: _Walker, config: dict[str, Any], class_name: str, value: Value
    ) -> tuple[int, Value]:
        pool = _tuple_of(walker, config, "pool_size", class_name, rank, 2)
        strides = pool
        if config.get("strides") is not None:
            strides = _tuple_of(walker, config, "strides", class_name, rank)
        shape = _shape(value)
        if len(shape) != rank + 2:
            raise _Unfit
        first = config.get("data_format") == "channels_first"
        spatial = shape[2:] if first else shape[1:-1]
        padding = config.get("padding", "valid")
        out = tuple(
            _window(size, p, s, 1, padding)
            for size, p, s in zip(spatial, pool, strides, strict=True)
        )
        return 0, ((shape[0], shape[1], *out) if first else (shape[0], *out, shape[-1]))

    return sized


def _global_pooling(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shape = _shape(value)
    if len(shape) < 3:
        raise _Unfit
    first = config.get("data_format") == "channels_first"
    channels = shape[1] if first else shape[-1]
    if config.get("keepdims"):
        ones = (1,) * (len(shape) - 2)
        return 0, ((shape[0], channels, *ones) if first else (shape[0], *ones, channels))
    return 0, (shape[0], channels)


def _flatten(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shape = _shape(value)
    if not shape:
        raise _Unfit
    rest = shape[1:]
    return 0, (shape[0], None if None in rest else _mul(*rest))


def _reshape(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shape = _shape(value)
    target = config.get("target_shape")
    if (
        not isinstance(target, list)
        or not all(_whole(d) and (d > 0 or d == -1) for d in target)
        or target.count(-1) > 1
    ):
        raise _Unfit
    if -1 not in target:
        return 0, (shape[0], *(min(_CAP, d) for d in target))
    if None in shape[1:]:
        return 0, (shape[0], *(None if d == -1 else min(_CAP, d) for d in target))
    known = _mul(*[d for d in target if d != -1])
    total = _mul(*shape[1:])
    return 0, (shape[0], *(total // known if d == -1 else min(_CAP, d) for d in target))


def _repeat_vector(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    times = walker.positive(config, "n", class_name)
    shape = _shape(value)
    if len(shape) != 2:
        raise _Unfit
    return 0, (shape[0], times, shape[1])


def _permute(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shape = _shape(value)
    dims = config.get("dims")
    if not isinstance(dims, list) or not all(_whole(d) for d in dims):
        raise _Unfit
    if sorted(dims) != list(range(1, len(shape))):
        raise _Unfit
    return 0, (shape[0], *(shape[d] for d in dims))


def _time_axis(kind: str) -> Sized:
    """Cropping1D, ZeroPadding1D and UpSampling1D: only the time axis changes."""

    def sized(
        walker: _Walker, config: dict[str, Any], class_name: str, value: Value
    ) -> tuple[int, Value]:
        shape = _shape(value)
        if len(shape) != 3:
            raise _Unfit
        steps = shape[1]
        if kind == "upsampling":
            size = walker.positive(config, "size", class_name, 2)
            return 0, (shape[0], None if steps is None else _mul(steps, size), shape[2])
        amount = config.get(kind, 1)
        pair = amount if isinstance(amount, list) else [amount, amount]
        if len(pair) != 2 or not all(_whole(a) and a >= 0 for a in pair):
            raise _Unfit
        change = -sum(pair) if kind == "cropping" else sum(pair)
        return 0, (shape[0], None if steps is None else max(0, steps + change), shape[2])

    return sized


def _shapes(value: Value) -> list[Shape]:
    if not isinstance(value, list) or not value or not all(isinstance(v, tuple) for v in value):
        raise _Unfit
    return value


def _merge(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    """Add, Multiply, Average, ...: the inputs' broadcast shape."""
    shapes = _shapes(value)
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for axis in range(-rank, 0):
        sizes = [s[axis] for s in shapes if len(s) >= -axis]
        known = [d for d in sizes if d is not None and d != 1]
        out.append(max(known) if known else (None if None in sizes else 1))
    return 0, tuple(out)


def _concatenate(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shapes = _shapes(value)
    rank = len(shapes[0])
    axis = config.get("axis", -1)
    if not _whole(axis) or not -rank <= axis < rank or any(len(s) != rank for s in shapes):
        raise _Unfit
    axis %= rank
    sizes = [s[axis] for s in shapes]
    total = None if None in sizes else _add(*[d for d in sizes if d is not None])
    return 0, (*shapes[0][:axis], total, *shapes[0][axis + 1 :])


def _layer_normalization(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shape = _shape(value)
    axis = config.get("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    if not axes or not all(_whole(a) for a in axes):
        raise _Unfit
    size = _mul(*[_dim(shape, a) for a in axes])
    rms = bool(config.get("rms_scaling"))
    vectors = int(bool(config.get("scale", True)) or rms)
    vectors += int(bool(config.get("center", True)) and not rms)
    return _mul(vectors, size), shape


def _batch_normalization(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    shape = _shape(value)
    axis = config.get("axis", -1)
    if not _whole(axis):
        raise _Unfit
    vectors = 2 + int(bool(config.get("scale", True))) + int(bool(config.get("center", True)))
    vectors += 3 if config.get("renorm") else 0  # moving stddev, renorm mean and stddev
    return _mul(vectors, _dim(shape, axis)), shape


def _attention(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    scores = isinstance(value, dict) and "scores" in value
    inputs = value.get("inputs") if isinstance(value, dict) else value
    shapes = _shapes(inputs)
    if len(shapes) not in (2, 3) or len(shapes[0]) < 2 or len(shapes[1]) < 2:
        raise _Unfit
    query, values = shapes[0], shapes[1]
    if class_name == "AdditiveAttention":
        weights = _mul(query[-1]) if config.get("use_scale", True) else 0
    else:
        weights = int(bool(config.get("use_scale"))) + int(config.get("score_mode") == "concat")
    output: Value = (*query[:-1], values[-1])
    if scores:
        output = [output, (*query[:-1], values[-2])]
    return weights, output


def _multi_head_attention(
    walker: _Walker, config: dict[str, Any], class_name: str, value: Value
) -> tuple[int, Value]:
    if not isinstance(value, dict):
        raise _Unfit
    query, values = _shape(value.get("query_shape")), _shape(value.get("value_shape"))
    key = _shape(value.get("key_shape") or values)
    if not (query and values and key):
        raise _Unfit
    heads = walker.positive(config, "num_heads", class_name)
    key_dim = walker.positive(config, "key_dim", class_name)
    value_dim = key_dim
    if config.get("value_dim") is not None:
        value_dim = walker.positive(config, "value_dim", class_name)
    raw = config.get("output_shape")
    out: tuple[int | None, ...] = (query[-1],)
    if raw is not None:
        items = raw if isinstance(raw, list) else [raw]
        out = tuple(walker.positive({"output_shape": d}, "output_shape", class_name) for d in items)
    weights = _add(
        _mul(query[-1], heads, key_dim),  # query projection
        _mul(key[-1], heads, key_dim),  # key projection
        _mul(values[-1], heads, value_dim),  # value projection
        _mul(heads, value_dim, *out),  # output projection
    )
    if config.get("use_bias", True):
        weights = _add(weights, _mul(2, heads, key_dim), _mul(heads, value_dim), _mul(*out))
    output: Value = (*query[:-1], *out)
    if "scores" in value:
        output = [output, (query[0], heads, *query[1:-1], *values[1:-1])]
    return weights, output


# --- operations: keras.ops calls recorded in a Functional graph --------------------------------

#: Operations whose output has their input's shape, and those that broadcast two inputs.
_UNARY_OPS = frozenset(
    {
        "Abs", "Absolute", "Cast", "Ceil", "Clip", "Cos", "Elu", "Exp", "Floor", "Gelu",
        "HardSigmoid", "LeakyRelu", "Log", "LogicalNot", "Negative", "Relu", "Relu6", "Round",
        "Selu", "Sigmoid", "Sign", "Silu", "Sin", "Softmax", "Softplus", "Sqrt", "Square",
        "StopGradient", "Tanh",
    }
)  # fmt: skip
_BINARY_OPS = frozenset(
    {
        "Add", "Divide", "Equal", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd",
        "LogicalOr", "Maximum", "Minimum", "Mod", "Multiply", "NotEqual", "Power", "Subtract",
        "TrueDivide",
    }
)  # fmt: skip
_OPS_MODULE = "keras.src.ops."


def _is_operation(entry: dict[str, Any]) -> bool:
    """A Keras operation: a class from a ``keras.src.ops`` module, which holds no weights.

    Those modules define operations, never layers (a test checks it against the installed
    Keras); their ``*_test`` siblings do import layers, so they do not count. A registered
    custom object would take precedence over the module, so an entry naming one does not count.
    """
    module, registered = entry.get("module"), entry.get("registered_name")
    return (
        isinstance(module, str)
        and module.startswith(_OPS_MODULE)
        and "." not in module[len(_OPS_MODULE) :]
        and not module.endswith("_test")
        and registered in (None, entry.get("class_name"))
    )


def _operation(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    """No weights; the output shape of the common elementwise operations, else unknown."""
    class_name = entry["class_name"]
    outputs: list[Value] = []
    for value in inputs:
        output = UNKNOWN
        if not _has_unknown(value):
            try:
                if class_name in _UNARY_OPS:
                    output = _shape(value)
                elif class_name in _BINARY_OPS:
                    output = _merge(walker, config, class_name, value)[1]
            except _Unfit:
                pass
        outputs.append(output)
    return 0, outputs


# --- models and the other handlers -------------------------------------------------------------


def _input_layer(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    shape = _input_shape(config)
    return 0, [shape for _ in inputs]


def _lambda(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    """A Lambda: Python code is refused (Keras's safe_mode would too); a named function has no
    weights but an output shape only running it tells."""
    for key in ("function", "output_shape"):
        spec = config.get(key)
        if isinstance(spec, dict) and spec.get("class_name") == "__lambda__":
            raise UnsafeModelFile(explain.lambda_layer(walker.name))
    return 0, [UNKNOWN for _ in inputs]


def _functional_model(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    """A Functional model: its own graph decides its weights and outputs, not its caller."""
    weights, output = walker.functional(entry, config, depth)
    return weights, [output for _ in inputs]


def _sequential(
    walker: _Walker,
    entry: dict[str, Any],
    config: dict[str, Any],
    inputs: list[Value],
    depth: int,
    built: bool,
) -> tuple[int, list[Value]]:
    """A Sequential model: its layers in a chain, from its InputLayer or from whatever builds it
    (its caller, ``build_input_shape``, its build_config, an ``input_shape`` on its first layer)."""
    layers = config.get("layers")
    layers = layers if isinstance(layers, list) else []
    first_class, first_config = walker.open(layers[0], depth + 1) if layers else ("", {})
    if first_class == "InputLayer":
        starts = [_input_shape(first_config)]
        layers = layers[1:]
    else:
        starts = list(inputs)
        raw = [config.get("build_input_shape")]
        shape = first_config.get("input_shape")  # Keras then adds an InputLayer itself
        raw.append([None, *shape] if isinstance(shape, list) else None)
        dim = first_config.get("input_dim")
        if first_class != "Embedding" and _whole(dim):
            raw.append([None, dim])
        starts += [p for p in map(_parse_value, filter(None, raw)) if p is not None]
        if first_class in _MODELS:  # a nested model first: the chain is built on its input
            starts += _model_inputs(first_config)
    values, total = starts, 0
    for layer_entry in layers:
        weights, values = walker.layer(layer_entry, values, depth + 1)
        total = _add(total, weights)
    # Keras rebuilds a Sequential model that knows its input after every layer it adds.
    costs = [walker.call_weight.get(id(e), 1) for e in layers]
    one_call = _add(*costs)
    rebuilds = first_class == "InputLayer" or first_config.get("input_shape") is not None
    calls = _add(*itertools.accumulate(costs)) if rebuilds else one_call
    walker.rebuild(entry, calls, one_call)
    if first_class == "InputLayer":
        return total, [values[0] if values else UNKNOWN for _ in inputs]
    return total, values[: len(inputs)]


def _model_inputs(config: dict[str, Any]) -> list[Value]:
    """A model's own single input shape, if it has exactly one InputLayer."""
    layers = config.get("layers")
    shapes = [
        _input_shape(layer["config"])
        for layer in (layers if isinstance(layers, list) else [])
        if isinstance(layer, dict)
        and layer.get("class_name") == "InputLayer"
        and isinstance(layer.get("config"), dict)
    ]
    return shapes if len(shapes) == 1 and shapes[0] is not UNKNOWN else []


_SAME_SHAPE = (
    "Activation", "ActivityRegularization", "AlphaDropout", "Dropout", "ELU", "GaussianDropout",
    "GaussianNoise", "Identity", "LeakyReLU", "Masking", "ReLU", "Softmax", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "UnitNormalization",
)  # fmt: skip


def _weightless(sized: Sized) -> Handler:
    return _simple(sized, weighted=False)


#: Every layer class the walk can size, by Keras class name.
_HANDLERS: dict[str, Handler] = {
    "InputLayer": _input_layer,
    "Lambda": _lambda,
    "Functional": _functional_model,
    "Model": _functional_model,
    "Sequential": _sequential,
    "Dense": _simple(_dense),
    "Embedding": _simple(_embedding, weighted=False, unbuilt=_embedding_table),
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "SimpleRNN": _recurrent,
    "RNN": _recurrent,
    "LSTMCell": _simple(_cell),
    "GRUCell": _simple(_cell),
    "SimpleRNNCell": _simple(_cell),
    "StackedRNNCells": _stacked_cells,
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "Conv1D": _simple(_conv(1)),
    "Conv2D": _simple(_conv(2)),
    "LayerNormalization": _simple(_layer_normalization),
    "BatchNormalization": _simple(_batch_normalization),
    "Attention": _simple(_attention),
    "AdditiveAttention": _simple(_attention),
    "MultiHeadAttention": _simple(_multi_head_attention),
    "MaxPooling1D": _weightless(_pooling(1)),
    "AveragePooling1D": _weightless(_pooling(1)),
    "MaxPooling2D": _weightless(_pooling(2)),
    "AveragePooling2D": _weightless(_pooling(2)),
    "GlobalMaxPooling1D": _weightless(_global_pooling),
    "GlobalAveragePooling1D": _weightless(_global_pooling),
    "GlobalMaxPooling2D": _weightless(_global_pooling),
    "GlobalAveragePooling2D": _weightless(_global_pooling),
    "Flatten": _weightless(_flatten),
    "Reshape": _weightless(_reshape),
    "RepeatVector": _weightless(_repeat_vector),
    "Permute": _weightless(_permute),
    "Cropping1D": _weightless(_time_axis("cropping")),
    "ZeroPadding1D": _weightless(_time_axis("padding")),
    "UpSampling1D": _weightless(_time_axis("upsampling")),
    "Concatenate": _weightless(_concatenate),
    "Add": _weightless(_merge),
    "Subtract": _weightless(_merge),
    "Multiply": _weightless(_merge),
    "Average": _weightless(_merge),
    "Maximum": _weightless(_merge),
    "Minimum": _weightless(_merge),
    **{name: _weightless(_same) for name in _SAME_SHAPE},
}

#: The layer classes the walk sizes (the README lists them).
SIZABLE_LAYERS = frozenset(_HANDLERS) - {"Lambda"}


def size_config(
    config: Any,
    name: str = "the file",
    *,
    known_class: KnownClass | None = None,
    clock: Clock = time.thread_time,
    budget: float = CHECK_SECONDS,
    max_layers: int = MAX_CONFIG_LAYERS,
) -> ConfigSize:
    """Count the weights loading ``config`` (a parsed ``config.json``) makes Keras create.

    Args:
        config: the parsed JSON.
        name: the file's name, for messages.
        known_class: whether Keras has a class the walk cannot size (then the file is refused
            as not sizable; otherwise as using a class Keras lacks). None: assume it has.
        clock: seconds, for the time limit (default: this thread's CPU time).
        budget: seconds the walk may take.
        max_layers: most layer configs (nested ones included).

    Raises:
        ConfigTooLarge: too many layers, too deep, or not sized within ``budget``.
        LayerNotSizable: a layer whose weights the walk cannot count.
        UnsafeModelFile: a layer carrying code or reading files (Lambda, TFSMLayer, vocabulary).
        CorruptModelFile: an impossible size, a malformed layer entry, or a class Keras lacks.
    """
    walker = _Walker(name, known_class, clock, budget, max_layers)
    collecting = gc.isenabled()
    gc.disable()  # the walk makes no cycles; a collection of a big heap must not eat its time
    try:
        weights, _ = walker.layer(config, [], 0)
    except RecursionError:  # a structure deeper than the limits expect: refuse, never crash
        raise ConfigTooLarge(explain.config_too_deep(name, MAX_NESTING)) from None
    finally:
        if collecting:
            gc.enable()
    return ConfigSize(
        weights=weights,
        peak=_add(weights, walker.extra),
        layers=len(walker.seen),
        calls=walker.calls,
        largest=walker.largest,
    )


def check_config(
    config: Any,
    name: str = "the file",
    *,
    known_class: KnownClass | None = None,
    max_params: int = MAX_CONFIG_PARAMS,
    clock: Clock = time.thread_time,
) -> ConfigSize:
    """`size_config`, then refuse a config that makes Keras create over ``max_params`` weights.

    Raises:
        ConfigTooLarge: over a limit (the message names the count, its memory and the layer
            holding most of it).
        UploadError: any refusal of `size_config`.
    """
    size = size_config(config, name, known_class=known_class, clock=clock)
    if size.peak > max_params:
        path, class_name, weights = size.largest
        raise ConfigTooLarge(
            explain.config_too_many_weights(
                name, size.peak, size.peak_bytes, max_params, path, class_name, weights
            )
        )
    return size
