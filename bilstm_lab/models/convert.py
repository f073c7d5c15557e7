"""Turn a real Keras model's recurrent layers into bidirectional ones (and back).

`to_bidirectional` wraps the chosen recurrent layers (LSTM, GRU, SimpleRNN, ``RNN(cell)``) of a
Sequential or Functional model in `Bidirectional`, nested models included (named
``outer/inner``); `unwrap_bidirectional` is the reverse, keeping the forward direction. The
model is rebuilt call by call (`bilstm_lab.models.rewire`): every other layer becomes a fresh
copy called on what now reaches it, so a layer whose input widened — a Dense head, the next
recurrent layer, a ``TimeDistributed`` or ``Bidirectional`` wrapper and what it holds, a nested
model — is rebuilt at the new width. Weights follow one rule: a layer whose weight shapes did
not change keeps its weights; the forward direction of a new wrapper starts from the original
layer's (warm start, optional); anything else is freshly initialised and listed. States passed
as ``initial_state`` go to both directions. Compile settings are carried over or the report
says why not (`bilstm_lab.models.compile_settings`).

`convert_and_check` does either, then saves, reloads (``safe_mode=True``), runs and compares
the result (`bilstm_lab.models.conversion_check`): what the lab writes, it has first loaded
back and run. The report types are plain data in `bilstm_lab.core.conversion`.

Nothing here touches Keras's global state: every fresh initializer gets an explicit seed derived
from the layer's path, and every created layer is named explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras

from bilstm_lab.core import explain
from bilstm_lab.core.conversion import (
    COLD,
    KEPT,
    NO_WEIGHTS,
    UNWRAPPED,
    WARM_STARTED,
    WIDTH_CHANGED,
    CompileSettings,
    ConversionCheck,
    ConversionReport,
    Direction,
    LayerChange,
)
from bilstm_lab.core.errors import ConversionError
from bilstm_lab.core.formatting import format_shape
from bilstm_lab.core.spec import MergeMode
from bilstm_lab.models.compile_settings import carry_compile, compile_config_of
from bilstm_lab.models.conversion_check import check_batch, check_conversion
from bilstm_lab.models.introspect import (
    PATH_SEPARATOR,
    RECURRENT_TYPES,
    bidirectional_layer_names,
    is_graph_model,
    layer_at,
    layer_kind,
    layer_params,
    model_layers,
    output_shapes,
    parent_model,
    recurrent_layer_names,
    walk_layers,
)
from bilstm_lab.models.rewire import Rewirer, assemble, fresh_copy, fresh_inputs, recurrent_call

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


@dataclass(frozen=True)
class CheckedConversion:
    """A conversion whose saved file was loaded back, run and compared with the original.

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
        options = [m.value for m in MergeMode]
        raise ConversionError(explain.choices("merge_mode", options, value)) from None


def _check_model(model: Any) -> None:
    """Refuse what cannot be rewired: not a model, a subclassed one, an unbuilt Sequential."""
    if not isinstance(model, keras.Model):
        raise ConversionError(explain.not_a_model(type(model).__name__))
    # clone_model can only rewrite a layer graph, not a subclass whose call() is Python code.
    if not is_graph_model(model):
        raise ConversionError(explain.subclassed_model(type(model).__name__))
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):  # an unbuilt Sequential raises here
        inputs = []
    if not inputs or not model.built:
        raise ConversionError(explain.unbuilt_model(model.name))


def _check_chosen(chosen: Iterable[str], available: list[str], what: str) -> list[str]:
    names = list(dict.fromkeys(chosen))
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ConversionError(explain.unknown_layers(what, available, unknown))
    if not names:
        raise ConversionError(explain.no_layers(what))
    return names


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, suffix = wanted, 2
    while name in taken:
        name, suffix = f"{wanted}_{suffix}", suffix + 1
    taken.add(name)
    return name


def _new_names(model: keras.Model, chosen: list[str], wanted: dict[str, str]) -> dict[str, str]:
    """A new name for each chosen path, unique among the layers of the model that holds it."""
    parents = {path: parent_model(model, path) for path in chosen}
    taken: dict[int, set[str]] = {}
    for parent in parents.values():
        # A chosen layer's own name is free again: its replacement may take it back.
        replaced = {p.split(PATH_SEPARATOR)[-1] for p, q in parents.items() if q is parent}
        taken.setdefault(id(parent), {layer.name for layer in parent.layers} - replaced)
    return {path: _unique_name(wanted[path], taken[id(parents[path])]) for path in chosen}


def _new_path(path: str, names: Mapping[str, str]) -> str:
    if path not in names:
        return path
    return PATH_SEPARATOR.join([*path.split(PATH_SEPARATOR)[:-1], names[path]])


@dataclass(frozen=True)
class _Plan:
    """What to convert: the direction, the chosen paths and their new names, the options."""

    direction: Direction
    names: dict[str, str]
    mode: MergeMode = MergeMode.CONCAT
    warm_start: bool = True
    seed: int = 0


def states_for_both_directions(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A recurrent call's keyword arguments with its initial states given to both directions.

    A `Bidirectional` layer takes the forward direction's states, then the backward one's;
    handed the original ``[h, c]`` it would split them between its directions.
    """
    states = kwargs.get("initial_state")
    if states is None:
        return kwargs
    flat = list(keras.tree.flatten(states))
    return {**kwargs, "initial_state": flat + flat}


class _Converter(Rewirer):
    """Rebuilds a model call by call: each layer becomes its replacement (see module doc).

    Attributes:
        plan: what to convert.
        pairs: each called layer's path -> (original layer, its replacement).
        merged_outputs: each new wrapper's outputs (both tensors under merge_mode None).
    """

    def __init__(self, plan: _Plan) -> None:
        super().__init__()
        self.plan = plan
        self.pairs: dict[str, tuple[keras.layers.Layer, keras.layers.Layer]] = {}
        self.merged_outputs: dict[str, Any] = {}
        self._replacements: dict[int, keras.layers.Layer] = {}

    def replacement(self, layer: keras.layers.Layer, path: str) -> keras.layers.Layer:
        """The layer that takes ``layer``'s place (one per layer, so shared layers stay shared)."""
        if id(layer) not in self._replacements:
            self._replacements[id(layer)] = self._make(layer, path)
        return self._replacements[id(layer)]

    def _make(self, layer: keras.layers.Layer, path: str) -> keras.layers.Layer:
        plan, seed = self.plan, self.plan.seed
        if path not in plan.names:
            return fresh_copy(layer, path, seed)
        if plan.direction is Direction.UNWRAP:
            return fresh_copy(layer.forward_layer, path, seed, name=plan.names[path])
        forward = fresh_copy(layer, path, seed)
        backward = fresh_copy(
            layer, path, seed + 1, name=f"backward_{layer.name}", go_backwards=True
        )
        return keras.layers.Bidirectional(
            forward,
            backward_layer=backward,
            merge_mode=plan.mode.keras_value,
            name=plan.names[path],
        )

    def call(
        self, layer: keras.layers.Layer, path: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[keras.layers.Layer, Any]:
        new = self.replacement(layer, path)
        wrapped = path in self.plan.names and self.plan.direction is Direction.WRAP
        if wrapped:
            sequences, call = recurrent_call(args, kwargs)
            args, kwargs = (sequences,), states_for_both_directions(call)
        try:
            outputs = new(*args, **kwargs)
        except Exception:  # Keras raises many types when a layer rejects its new input
            shapes = format_shape([tuple(t.shape) for t in keras.tree.flatten(args)])
            raise ConversionError(explain.cannot_rewire(path, layer_kind(layer), shapes)) from None
        self.pairs.setdefault(path, (layer, new))
        if wrapped:
            self.merged_outputs.setdefault(path, outputs)
        return new, outputs

    def convert(self, model: keras.Model) -> keras.Model:
        """The rebuilt model, with the same inputs, name and output structure."""
        inputs = fresh_inputs(model, model.inputs)
        outputs, used = self.run(model, inputs)
        if isinstance(model, keras.Sequential):  # its last layer returns both tensors itself
            return assemble(model, inputs, outputs, used)
        return assemble(model, inputs, self._with_both_directions(model, outputs), used)

    def _with_both_directions(self, model: keras.Model, outputs: list[Any]) -> list[Any]:
        # A model output made by a merge_mode=None wrapper becomes two: forward, backward (the
        # walk maps the original's one tensor to the forward one only).
        if self.plan.mode is not MergeMode.NONE or self.plan.direction is not Direction.WRAP:
            return outputs
        producers = {
            id(tensor): layer.name
            for layer in model_layers(model)
            for tensor in keras.tree.flatten(layer.output)
        }
        result: list[Any] = []
        for original, tensor in zip(model.outputs, outputs, strict=True):
            producer = producers.get(id(original))
            both = self.merged_outputs.get(producer) if producer else None
            result += list(both) if both is not None else [tensor]
        return result


def _weights_match(source: list[Any], target: keras.layers.Layer) -> bool:
    target_weights = target.get_weights()
    return len(source) == len(target_weights) and all(
        tuple(a.shape) == tuple(b.shape) for a, b in zip(source, target_weights, strict=True)
    )


def _carry_weights(plan: _Plan, path: str, original: Any, new: Any) -> str:
    """Copy what still fits from ``original`` to ``new``; return the weights' fate."""
    chosen = path in plan.names
    wrap = chosen and plan.direction is Direction.WRAP
    source = original.forward_layer if chosen and not wrap else original
    target = new.forward_layer if wrap else new
    weights = source.get_weights()
    if not chosen and not weights:
        return NO_WEIGHTS
    if not _weights_match(weights, target):
        return WIDTH_CHANGED
    if wrap and not plan.warm_start:
        return COLD
    target.set_weights(weights)
    if not chosen:
        return KEPT
    return WARM_STARTED if wrap else UNWRAPPED


def _report(
    model: keras.Model,
    converter: _Converter,
    fates: Mapping[str, str],
    compile_settings: CompileSettings,
) -> ConversionReport:
    rows = []
    for entry in walk_layers(model):
        if entry.path not in converter.pairs:  # a nested model: its own layers have rows
            continue
        before, after = converter.pairs[entry.path]
        rows.append(
            LayerChange(
                before=entry.path,
                after=_new_path(entry.path, converter.plan.names),
                type_before=layer_kind(before),
                type_after=layer_kind(after),
                shapes_before=output_shapes(before),
                shapes_after=output_shapes(after),
                params_before=layer_params(before),
                params_after=layer_params(after),
                weights=fates[entry.path],
            )
        )
    return ConversionReport(tuple(rows), compile_settings)


def _rebuild(
    model: keras.Model, plan: _Plan, compile_config: Mapping[str, Any] | None
) -> Conversion:
    """Rebuild ``model`` as ``plan`` says, carry the weights and compile settings, report."""
    converter = _Converter(plan)
    try:
        converted = converter.convert(model)
    except ConversionError:
        raise
    except Exception as error:  # Keras refused to assemble what every layer accepted
        raise ConversionError(explain.cannot_build(type(error).__name__)) from None
    fates = {path: _carry_weights(plan, path, *pair) for path, pair in converter.pairs.items()}
    settings = carry_compile(
        converted, compile_config if compile_config is not None else compile_config_of(model)
    )
    return Conversion(converted, _report(model, converter, fates, settings))


def _refuse_unwrappable(model: keras.Model, chosen: list[str], mode: MergeMode) -> None:
    """Refuse chosen layers a `Bidirectional` wrapper cannot stand in for."""
    output_ids = {id(tensor) for tensor in model.outputs}
    for path in chosen:
        layer = layer_at(model, path)
        if layer.return_state:
            raise ConversionError(explain.return_state_refused(path))
        if layer.go_backwards:
            raise ConversionError(explain.go_backwards_refused(path))
        # merge_mode None yields two tensors; no layer takes a pair in place of one tensor, so
        # only a top-level layer whose output is the model's output may use it.
        if mode is MergeMode.NONE and (
            PATH_SEPARATOR in path
            or not all(id(t) in output_ids for t in keras.tree.flatten(layer.output))
        ):
            raise ConversionError(explain.merge_none_refused(path))


def to_bidirectional(
    model: keras.Model,
    layers: Sequence[str] | None = None,
    merge_mode: MergeMode | str = MergeMode.CONCAT,
    warm_start: bool = True,
    seed: int = 0,
    *,
    compile_config: Mapping[str, Any] | None = None,
) -> Conversion:
    """Wrap chosen recurrent layers of a model in `Bidirectional`; rebuild everything else.

    Args:
        model: a built Sequential or Functional Keras model (left untouched).
        layers: paths of the recurrent layers to wrap (``outer/inner`` inside a nested model);
            ``None`` means all of them.
        merge_mode: how each wrapper merges its directions (``concat``, ``sum``, ``mul``,
            ``ave`` or ``none``).
        warm_start: start each forward direction from the original layer's weights (when its
            input width did not change).
        seed: base seed for every freshly initialised weight (backward directions, widened
            layers); the same seed gives the same converted model.
        compile_config: the compile settings to carry over (a file's ``compile_config``);
            ``None`` takes the model's own when it is compiled.

    Returns:
        The converted model and the per-layer report.

    Raises:
        ConversionError: for an unbuilt or subclassed model, a model without recurrent layers,
            unknown layer names, a layer with ``return_state=True`` or ``go_backwards=True``,
            merge mode ``none`` on a layer whose output feeds another layer, or a layer that
            cannot take its new input.
    """
    _check_model(model)
    mode = parse_merge_mode(merge_mode)
    available = recurrent_layer_names(model)
    if not available:
        kinds = ", ".join(layer_kind(x) for x in model_layers(model))
        raise ConversionError(explain.nothing_to_wrap(model.name, kinds))
    chosen = _check_chosen(available if layers is None else layers, available, "recurrent layers")
    _refuse_unwrappable(model, chosen, mode)
    wanted = {path: "bi_" + path.split(PATH_SEPARATOR)[-1] for path in chosen}
    plan = _Plan(Direction.WRAP, _new_names(model, chosen, wanted), mode, warm_start, seed)
    return _rebuild(model, plan, compile_config)


def unwrap_bidirectional(
    model: keras.Model,
    layers: Sequence[str] | None = None,
    seed: int = 0,
    *,
    compile_config: Mapping[str, Any] | None = None,
) -> Conversion:
    """Replace chosen `Bidirectional` wrappers by their forward layer (backward dropped).

    Args:
        model: a built Sequential or Functional Keras model (left untouched).
        layers: paths of the wrappers to unwrap; ``None`` means all of them.
        seed: base seed for layers that must be freshly initialised (their input narrowed).
        compile_config: see `to_bidirectional`.

    Returns:
        The converted model and the per-layer report. An unwrapped layer takes the forward
        layer's name without its ``forward_`` prefix.

    Raises:
        ConversionError: for an unbuilt model, one without wrappers, unknown names, a wrapper
            that returns its states, or a layer that cannot take its new input.
    """
    _check_model(model)
    available = bidirectional_layer_names(model)
    if not available:
        raise ConversionError(explain.nothing_to_unwrap(model.name))
    chosen = _check_chosen(
        available if layers is None else layers, available, "Bidirectional layers"
    )
    wanted = {}
    for path in chosen:
        wrapper = layer_at(model, path)
        if wrapper.return_state:
            raise ConversionError(explain.return_state_refused(path))
        wanted[path] = wrapper.forward_layer.name.removeprefix("forward_") or wrapper.name
    plan = _Plan(Direction.UNWRAP, _new_names(model, chosen, wanted), seed=seed)
    return _rebuild(model, plan, compile_config)


def convert(
    model: keras.Model,
    direction: Direction | str,
    layers: Sequence[str] | None = None,
    merge_mode: MergeMode | str = MergeMode.CONCAT,
    warm_start: bool = True,
    seed: int = 0,
    *,
    compile_config: Mapping[str, Any] | None = None,
) -> Conversion:
    """`to_bidirectional` (``direction="wrap"``) or `unwrap_bidirectional` (``"unwrap"``).

    ``merge_mode`` and ``warm_start`` only apply when wrapping.

    Raises:
        ConversionError: for an unknown direction, or anything the conversion refuses.
    """
    try:
        way = Direction(direction)
    except ValueError:
        options = [d.value for d in Direction]
        raise ConversionError(
            explain.choices("direction", options, direction), "direction"
        ) from None
    if way is Direction.WRAP:
        return to_bidirectional(
            model, layers, merge_mode, warm_start, seed, compile_config=compile_config
        )
    return unwrap_bidirectional(model, layers, seed, compile_config=compile_config)


def convert_and_check(
    model: keras.Model,
    direction: Direction | str = Direction.WRAP,
    layers: Sequence[str] | None = None,
    merge_mode: MergeMode | str = MergeMode.CONCAT,
    warm_start: bool = True,
    seed: int = 0,
    *,
    compile_config: Mapping[str, Any] | None = None,
) -> CheckedConversion:
    """Convert, save to ``.keras`` bytes, load them back as an upload is loaded, run and compare.

    The page's download and the CLI's output file are exactly the checked bytes.

    Args:
        model: a built Sequential or Functional Keras model (left untouched).
        direction: ``"wrap"`` (to Bidirectional) or ``"unwrap"``.
        layers: paths of the layers to convert; ``None`` means all that qualify.
        merge_mode: see `to_bidirectional` (wrap only).
        warm_start: see `to_bidirectional` (wrap only).
        seed: base seed for every freshly initialised weight.
        compile_config: see `to_bidirectional`.

    Returns:
        The conversion, the bytes, the reloaded model and the check's numbers.

    Raises:
        ConversionError: anything the conversion refuses.
        ConversionCheckFailed: the converted model does not load back, run, or match the
            original where the report says it does (nothing must be written then).
    """
    conversion = convert(
        model, direction, layers, merge_mode, warm_start, seed, compile_config=compile_config
    )
    data, reloaded, check = check_conversion(model, conversion.model, conversion.report)
    return CheckedConversion(conversion, data, reloaded, check)
