"""The check a converted model passes before anyone gets it: save, reload, run, compare.

`check_conversion` saves the converted model to ``.keras`` bytes, loads them back exactly as an
upload is loaded (size cap, archive guards, ``safe_mode=True``), runs a seeded batch of the
right shape and dtype through it, and then holds it to its report:

- every warm-started layer's forward direction must give the original layer's output on the
  same input (the reloaded model's own input to that layer, with its mask and initial states):
  the forward half of the layer's output under ``concat`` and ``none``, and its forward layer
  run on that input under every merge mode (``sum``, ``mul`` and ``ave`` mix the halves); an
  unwrapped layer must give the original wrapper's forward output;
- every layer reported as keeping its weights must hold the original's, weight for weight;
- compile settings reported as kept must be in the saved file.

Anything else raises `ConversionCheckFailed`, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import keras
import numpy as np

from bilstm_lab.core import explain
from bilstm_lab.core.conversion import (
    FORWARD_TOLERANCE,
    KEPT,
    UNWRAPPED,
    WARM_STARTED,
    CompileFate,
    ConversionCheck,
    ConversionReport,
    ForwardCheck,
)
from bilstm_lab.core.errors import ConversionCheckFailed, UploadError
from bilstm_lab.core.model_info import MAX_UPLOAD_BYTES
from bilstm_lab.models.introspect import layer_at, walk_layers
from bilstm_lab.models.model_io import load_model_bytes, model_to_bytes, saved_compile_config
from bilstm_lab.models.rewire import Probe, Rewirer, fresh_copy, fresh_inputs, recurrent_call

T = TypeVar("T")

#: Token ids in a check batch stay below this when no Embedding says how many there are.
_DEFAULT_VOCABULARY = 2
#: The size a free (None) time axis gets in a check batch.
_FREE_AXIS = 4


def _vocabulary(model: keras.Model) -> int:
    """The smallest Embedding vocabulary in the model: token ids valid for every Embedding."""
    sizes = [
        int(entry.layer.input_dim)
        for entry in walk_layers(model)
        if isinstance(entry.layer, keras.layers.Embedding)
    ]
    return min(sizes, default=_DEFAULT_VOCABULARY)


def check_batch(model: keras.Model, batch_size: int = 2, seed: int = 0) -> list[np.ndarray]:
    """A seeded batch shaped and typed like each of the model's inputs.

    Floats are standard normal; token ids are drawn from the Embedding vocabulary (zeros among
    them, so ``mask_zero`` masks some steps). A free time axis gets the size 4, a fixed batch
    size (a stateful model's) is kept.
    """
    rng = np.random.default_rng(seed)
    vocabulary = _vocabulary(model)
    arrays = []
    for tensor in model.inputs:
        batch = tensor.shape[0] or batch_size
        shape = (batch, *(_FREE_AXIS if dim is None else dim for dim in tensor.shape[1:]))
        dtype = np.dtype(tensor.dtype)
        if np.issubdtype(dtype, np.integer):
            arrays.append(rng.integers(0, vocabulary, size=shape).astype(dtype))
        else:
            arrays.append(rng.normal(size=shape).astype(dtype))
    return arrays  # each (batch, *input shape)


def _feed(model: keras.Model, arrays: list[np.ndarray]) -> Any:
    if isinstance(model, keras.Sequential):
        return arrays[0]
    return keras.tree.pack_sequence_as(model.input, arrays)


def reset_states(model: keras.Model) -> None:
    """Set every stateful layer's states back to zero."""
    # A stateful layer carries its states from one run to the next: every run starts from zero.
    for entry in walk_layers(model):
        if getattr(entry.layer, "stateful", False) and hasattr(entry.layer, "reset_state"):
            entry.layer.reset_state()


def run_model(model: keras.Model, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The model's outputs (flat) on ``arrays``, in inference mode, from zero states."""
    reset_states(model)
    outputs = model(_feed(model, arrays), training=False)
    return [np.asarray(output) for output in keras.tree.flatten(outputs)]


@dataclass(frozen=True)
class _Target:
    """A converted layer whose forward direction must repeat the original's computation.

    Attributes:
        original: the original layer (for an unwrapped layer: the wrapper's forward layer).
        unwrapped: whether the converted layer is an unwrapped one (else a new wrapper).
    """

    original: keras.layers.Layer
    unwrapped: bool


def _twin(layer: keras.layers.Layer, name: str, sequences: Any, call: dict[str, Any]) -> Any:
    """``layer``'s output on ``sequences`` from a copy of it holding its weights.

    A copy rather than the layer itself: a stateful layer's states must not carry over from
    one call to the next inside the check, and each layer of the check's model needs its own
    name.
    """
    twin = fresh_copy(layer, name, 0, name=name)
    outputs = twin(sequences, **call)
    twin.set_weights(layer.get_weights())
    return outputs


class _ForwardProbe(Rewirer):
    """Runs the reloaded model's graph, adding beside each target its forward comparisons."""

    def __init__(self, targets: dict[str, _Target]) -> None:
        super().__init__()
        self.targets = targets
        self._twins = 0

    def _name(self, layer: keras.layers.Layer) -> str:
        self._twins += 1  # every layer of the probe model needs its own name
        return f"{layer.name}_check_{self._twins}"

    def call(
        self, layer: keras.layers.Layer, path: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[keras.layers.Layer, Any]:
        outputs = layer(*args, **kwargs)
        target = self.targets.get(path)
        if target is not None:
            self.probes += self._compare(layer, path, target, args, kwargs, outputs)
        return layer, outputs

    def _compare(
        self,
        layer: keras.layers.Layer,
        path: str,
        target: _Target,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        outputs: Any,
    ) -> list[Probe]:
        sequences, call = recurrent_call(args, kwargs)
        if target.unwrapped:
            reference = _twin(target.original, self._name(layer), sequences, call)
            return [Probe((path, "unwrapped"), outputs, reference)]
        states = call.get("initial_state")
        if states is not None:  # the wrapper got both directions' states: the forward's first
            flat = keras.tree.flatten(states)
            call = {**call, "initial_state": flat[: len(flat) // 2]}
        reference = _twin(target.original, self._name(layer), sequences, call)
        forward = _twin(layer.forward_layer, self._name(layer), sequences, call)
        probes = [Probe((path, "forward_layer"), forward, reference)]
        if layer.merge_mode in ("concat", None):  # the forward half is readable in the output
            first = keras.tree.flatten(outputs)[0]
            probes.append(Probe((path, "output"), first, reference))
        return probes


def _targets(original: keras.Model, report: ConversionReport) -> dict[str, _Target]:
    targets = {}
    for row in report.rows:
        if row.weights == WARM_STARTED:
            targets[row.after] = _Target(layer_at(original, row.before), unwrapped=False)
        elif row.weights == UNWRAPPED:
            source = layer_at(original, row.before).forward_layer
            targets[row.after] = _Target(source, unwrapped=True)
    return targets


def _difference(tensor: np.ndarray, reference: np.ndarray) -> float:
    # The forward half of a concatenated output is its first ``width`` features.
    width = reference.shape[-1]
    return float(np.max(np.abs(tensor[..., :width] - reference), initial=0.0))


def forward_checks(
    original: keras.Model,
    reloaded: keras.Model,
    report: ConversionReport,
    arrays: list[np.ndarray],
) -> tuple[ForwardCheck, ...]:
    """Compare each warm-started (or unwrapped) layer's forward direction with the original.

    Returns:
        One `ForwardCheck` per comparison and call, with the largest absolute difference.
    """
    targets = _targets(original, report)
    if not targets:
        return ()
    probe = _ForwardProbe(targets)
    inputs = fresh_inputs(reloaded, reloaded.inputs)
    probe.run(reloaded, inputs)
    packed = inputs[0] if isinstance(reloaded, keras.Sequential) else inputs
    tensors = [p.tensor for p in probe.probes] + [p.reference for p in probe.probes]
    values = run_model(keras.Model(packed, tensors, name="forward_check"), arrays)
    half = len(probe.probes)
    calls: dict[tuple[str, str], int] = {}
    checks = []
    for item, tensor, reference in zip(probe.probes, values[:half], values[half:], strict=True):
        layer, part = item.label
        calls[item.label] = calls.get(item.label, 0) + 1
        checks.append(ForwardCheck(layer, calls[item.label], part, _difference(tensor, reference)))
    return tuple(checks)


def _weights_equal(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def kept_weights_checked(
    original: keras.Model, reloaded: keras.Model, report: ConversionReport
) -> int:
    """Compare, weight by weight, every layer the report says kept its weights.

    Returns:
        How many layers were compared.

    Raises:
        ConversionCheckFailed: naming a layer whose weights differ.
    """
    checked = 0
    for row in report.rows:
        if row.weights not in (KEPT, WARM_STARTED, UNWRAPPED):
            continue
        before, after = layer_at(original, row.before), layer_at(reloaded, row.after)
        if row.weights == WARM_STARTED:
            after = after.forward_layer
        elif row.weights == UNWRAPPED:
            before = before.forward_layer
        if not _weights_equal(before.get_weights(), after.get_weights()):
            raise ConversionCheckFailed(
                explain.check_failed(explain.check_weights_changed(row.after))
            )
        checked += 1
    return checked


def _failed(reason: str) -> ConversionCheckFailed:
    return ConversionCheckFailed(explain.check_failed(reason))


def _guarded(reason: Callable[[str], str], step: Callable[[], T]) -> T:
    """Run one step of the check; any error in it fails the check, named in the lab's words."""
    try:
        return step()
    except ConversionCheckFailed:
        raise
    except Exception as error:  # Keras raises many types for a model that does not work
        raise _failed(reason(type(error).__name__)) from None


def _reload(data: bytes) -> keras.Model:
    try:
        # The same limit as any upload: the lab must be able to load what it writes.
        return load_model_bytes(data, "the converted model", MAX_UPLOAD_BYTES, recurrent_only=False)
    except UploadError as error:  # too large for the lab to load again, or does not load
        raise _failed(explain.check_reload_failed(str(error))) from None


def _batch_and_run(model: keras.Model) -> tuple[list[np.ndarray], list[np.ndarray]]:
    arrays = check_batch(model)
    return arrays, run_model(model, arrays)


def check_conversion(
    original: keras.Model, converted: keras.Model, report: ConversionReport
) -> tuple[bytes, keras.Model, ConversionCheck]:
    """Save, reload, run and compare a converted model (see the module docstring).

    Returns:
        The checked ``.keras`` bytes, the model loaded back from them, and the check's numbers.

    Raises:
        ConversionCheckFailed: naming what failed; the bytes must not be written then.
    """
    data = _guarded(explain.check_save_failed, lambda: model_to_bytes(converted))
    reloaded = _reload(data)
    arrays, outputs = _guarded(explain.check_run_failed, lambda: _batch_and_run(reloaded))
    checks = _guarded(
        explain.check_compare_failed, lambda: forward_checks(original, reloaded, report, arrays)
    )
    for check in checks:
        if not check.difference <= FORWARD_TOLERANCE:  # also catches NaN
            raise _failed(
                explain.check_forward_mismatch(check.layer, check.difference, FORWARD_TOLERANCE)
            )
    kept = kept_weights_checked(original, reloaded, report)
    if report.compile.fate is CompileFate.KEPT and saved_compile_config(data) is None:
        raise _failed(explain.check_compile_lost())
    return (
        data,
        reloaded,
        ConversionCheck(
            size_bytes=len(data),
            batch_shapes=tuple(tuple(int(d) for d in array.shape) for array in arrays),
            output_shapes=tuple(tuple(int(d) for d in output.shape) for output in outputs),
            forward_checks=checks,
            kept_checked=kept,
        ),
    )
