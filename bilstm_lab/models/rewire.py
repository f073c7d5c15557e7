"""Run a model's layer graph again on new inputs, choosing the layer each call goes to.

`Rewirer` walks a Sequential or Functional model — nested models included, each rebuilt as a
model of its own on inputs shaped like what now reaches it — and hands every layer call to
`Rewirer.call`, which a subclass overrides: the converter calls a replacement there (a fresh
copy, a `Bidirectional` wrapper), the conversion check calls the same layer and records
tensors to compare beside it (`Probe`). Functional graphs are walked with the public
``keras.models.clone_model`` (its ``clone_function`` hands back the layer itself and its
``call_function`` is this walk), Sequential ones layer by layer.

Deciding at call time, with the new input in hand, is what lets every layer downstream of a
widened one — inside wrappers and nested models too — be rebuilt at its new width.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass
from typing import Any

import keras

from bilstm_lab.models.introspect import PATH_SEPARATOR, is_graph_model, model_layers

#: Positional arguments of a recurrent layer's call after the sequence, in Keras's order.
RNN_CALL_ARGUMENTS = ("initial_state", "mask", "training")


@dataclass(frozen=True)
class Probe:
    """Two tensors to compare after a run (the check's forward-half comparisons).

    Attributes:
        label: what is compared: the layer's path and which part of it.
        tensor: the converted model's side.
        reference: the original layer's side, on the same input.
    """

    label: tuple[str, str]
    tensor: Any
    reference: Any


@dataclass(frozen=True)
class _Rebuilt:
    """A nested model rebuilt once, reused by each of its calls."""

    model: keras.Model
    outputs: int  # how many of its outputs are the original's (the rest are probes)
    labels: tuple[tuple[str, str], ...]


def fresh_inputs(model: keras.Model, like: Any) -> list[Any]:
    """New ``keras.Input`` tensors named as ``model``'s inputs, shaped and typed like ``like``."""
    tensors = keras.tree.flatten(like)
    names = [tensor.name for tensor in model.inputs]
    return [
        keras.Input(batch_shape=tuple(tensor.shape), dtype=tensor.dtype, name=name)
        for tensor, name in zip(tensors, names, strict=True)
    ]


def same_structure(model: keras.Model, outputs: list[Any]) -> Any:
    """``outputs`` (flat) in the structure of ``model``'s outputs, when they still match it."""
    structure = model.outputs if isinstance(model, keras.Sequential) else model.output
    if len(outputs) != len(keras.tree.flatten(structure)):
        return outputs
    return keras.tree.pack_sequence_as(structure, outputs)


def assemble(
    model: keras.Model, inputs: list[Any], outputs: list[Any], used: list[keras.layers.Layer]
) -> keras.Model:
    """A model of ``model``'s kind, name and output structure, rebuilt on ``inputs``.

    Args:
        model: the model being rebuilt.
        inputs: the new input tensors.
        outputs: the new output tensors (flat; a Functional model's).
        used: the layers called in order (a Sequential model's).
    """
    if isinstance(model, keras.Sequential):
        rebuilt = keras.Sequential([inputs[0], *used], name=model.name)
    else:
        packed = keras.tree.pack_sequence_as(model.input, inputs)
        rebuilt = keras.Model(packed, same_structure(model, outputs), name=model.name)
    if not model.trainable:  # setting it to True would also unfreeze every frozen layer inside
        rebuilt.trainable = False
    return rebuilt


def recurrent_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A recurrent layer's call as ``(sequences, keyword arguments)``, positional ones named."""
    named = dict(zip(RNN_CALL_ARGUMENTS, args[1:], strict=False))
    return args[0], {**named, **kwargs}


def _seed_for(path: str, seed: int) -> int:
    # A stable per-layer seed: the same model converts to the same weights in every process.
    return (seed * 1_000_003 + zlib.crc32(path.encode())) % (2**31 - 1)


def _fresh_config(config: Any, seed: int) -> Any:
    """A copy of a layer config with new explicit seeds and without any ``build_config``."""
    counter = iter(range(100_000))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            # A serialised inner layer (a wrapper's, a cell) carries the input shape it was
            # built for; without it, the layer is built for whatever input it is called on.
            out = {key: walk(value) for key, value in node.items() if key != "build_config"}
            # Re-seed even seeded initializers: a fresh backward direction must not start as
            # a copy of the forward one (which a fixed seed in the original config would give).
            if "seed" in out and "class_name" not in out:
                out["seed"] = seed + next(counter)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(copy.deepcopy(config))


def fresh_copy(
    layer: keras.layers.Layer, path: str, seed: int, **changes: Any
) -> keras.layers.Layer:
    """An unbuilt copy of ``layer`` (same config, new seeded initializers), with ``changes``.

    It is built, at whatever width reaches it, on its first call.
    """
    config = _fresh_config(layer.get_config(), _seed_for(path, seed))
    config.update(changes)
    return layer.__class__.from_config(config)


def copy_op(op: Any) -> Any:
    """A non-layer operation of a graph (``x[:, -1]``, ``ops.add``), as clone_model copies it."""
    try:
        return type(op).from_config(op.get_config())
    except Exception:  # an operation without a config: stateless, so calling it again is safe
        return op


class Rewirer:
    """Walks a model's graph on new inputs; a subclass decides what each layer call becomes.

    Attributes:
        probes: tensors recorded beside the calls of the graph being built (see `Probe`).
    """

    def __init__(self) -> None:
        self.probes: list[Probe] = []
        self._rebuilt: dict[int, _Rebuilt] = {}

    def call(
        self, layer: keras.layers.Layer, path: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[keras.layers.Layer, Any]:
        """Call ``layer`` (or what replaces it) on ``args``; return the layer called, outputs."""
        raise NotImplementedError

    def run(
        self, model: keras.Model, inputs: list[Any], prefix: str = ""
    ) -> tuple[list[Any], list[keras.layers.Layer]]:
        """Run ``model``'s graph on ``inputs``.

        Returns:
            The output tensors (flat) and, for a Sequential, the layers called in order.
        """
        if isinstance(model, keras.Sequential):
            used, tensor = [], inputs[0]
            for layer in model_layers(model):
                called, tensor = self._dispatch(layer, prefix, (tensor,), {})
                used.append(called)
            return keras.tree.flatten(tensor), used
        clone = keras.models.clone_model(
            model,
            input_tensors=keras.tree.pack_sequence_as(model.input, inputs),
            clone_function=lambda layer: layer,  # the walk decides: see _dispatch
            call_function=lambda layer, *args, **kwargs: self._dispatch(
                layer, prefix, args, kwargs
            )[1],
        )
        return list(clone.outputs), []

    def _dispatch(
        self, layer: Any, prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Any, Any]:
        path = prefix + layer.name
        if is_graph_model(layer):
            return self._call_nested(layer, path, args, kwargs)
        if not isinstance(layer, keras.layers.Layer):
            op = copy_op(layer)
            return op, op(*args, **kwargs)
        return self.call(layer, path, args, kwargs)

    def _call_nested(
        self, model: keras.Model, path: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[keras.Model, Any]:
        """Rebuild a nested model for what reaches it now (once), call it, collect its probes."""
        rebuilt = self._rebuilt.get(id(model))
        if rebuilt is None:
            rebuilt = self._rebuild_nested(model, path, args[0])
            self._rebuilt[id(model)] = rebuilt
        results = keras.tree.flatten(rebuilt.model(*args, **kwargs))
        own, extra = results[: rebuilt.outputs], results[rebuilt.outputs :]
        half = len(rebuilt.labels)
        self.probes += [
            Probe(label, tensor, reference)
            for label, tensor, reference in zip(
                rebuilt.labels, extra[:half], extra[half:], strict=True
            )
        ]
        return rebuilt.model, own[0] if len(own) == 1 else own

    def _rebuild_nested(self, model: keras.Model, path: str, like: Any) -> _Rebuilt:
        inputs = fresh_inputs(model, like)
        outer_probes, self.probes = self.probes, []
        outputs, used = self.run(model, inputs, path + PATH_SEPARATOR)
        inner, self.probes = self.probes, outer_probes
        if inner:
            # Probes leave the nested model as extra outputs, so the outer graph can reach them.
            extra = [probe.tensor for probe in inner] + [probe.reference for probe in inner]
            packed = keras.tree.pack_sequence_as(model.input, inputs)
            rebuilt = keras.Model(packed, [*outputs, *extra], name=model.name)
        else:
            rebuilt = assemble(model, inputs, outputs, used)
        return _Rebuilt(rebuilt, len(outputs), tuple(probe.label for probe in inner))
