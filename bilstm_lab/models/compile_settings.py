"""Carry a model's compile settings (optimizer, loss, metrics) over to its converted version.

The settings come from the model (``get_compile_config()``, when it was compiled in memory) or
from its file's ``config.json`` (the lab loads uploads with ``compile=False``, so the caller
passes them in). Each object is rebuilt through Keras's public getters first, so a custom loss
or metric that exists only as a name is found and reported instead of failing at the first
``fit``. The optimizer is compiled but not built: its state (moment estimates) belonged to the
old weights, and building it would store zeros worth twice the weights in the file.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import keras

from bilstm_lab.core.conversion import CompileFate, CompileSettings

#: Metric names Keras's compile() resolves itself, by the loss (they are not registered objects).
_COMPILE_METRIC_NAMES = frozenset({"accuracy", "acc", "crossentropy", "ce"})
#: The settings checked, with the getter that rebuilds one of their objects.
_GETTERS: dict[str, Callable[[Any], Any]] = {
    "optimizer": keras.optimizers.get,
    "loss": keras.losses.get,
    "metrics": keras.metrics.get,
    "weighted_metrics": keras.metrics.get,
}


def compile_config_of(model: keras.Model) -> dict[str, Any] | None:
    """The model's compile settings as Keras serialises them; None if it is not compiled."""
    return model.get_compile_config() if getattr(model, "compiled", False) else None


def _leaves(node: Any) -> Iterator[Any]:
    """Each object config in a setting: a name, a ``{"class_name": ...}`` dict, or None."""
    if isinstance(node, Mapping) and "class_name" not in node:
        for value in node.values():  # losses or metrics per output name
            yield from _leaves(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _leaves(value)
    elif node is not None:
        yield node


def _name(leaf: Any) -> str:
    if isinstance(leaf, Mapping):
        config = leaf.get("config")
        if isinstance(config, Mapping) and isinstance(config.get("name"), str):
            return str(config["name"])
        return str(leaf.get("class_name", "?"))
    return str(leaf)


def _unresolved(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first setting whose object Keras cannot rebuild, as ``(setting, object name)``."""
    for part, getter in _GETTERS.items():
        for leaf in _leaves(config.get(part)):
            if isinstance(leaf, str) and leaf in _COMPILE_METRIC_NAMES:
                continue
            try:
                getter(copy.deepcopy(leaf))  # Keras's getters may consume the config they get
            except Exception:  # unknown name, unregistered class, code refused by safe mode
                return part, _name(leaf)
    return None


def _learning_rate(optimizer: Any) -> float | None:
    settings = optimizer.get("config") if isinstance(optimizer, Mapping) else None
    rate = settings.get("learning_rate") if isinstance(settings, Mapping) else None
    return float(rate) if isinstance(rate, (int, float)) else None  # a schedule has no one rate


def describe(config: Mapping[str, Any], fate: CompileFate) -> CompileSettings:
    """The settings by name, with what happened to them."""
    optimizer = config.get("optimizer")
    if isinstance(optimizer, Mapping):  # its class says more than its name ("adam")
        optimizer = optimizer.get("class_name", _name(optimizer))
    return CompileSettings(
        fate=fate,
        optimizer=str(optimizer) if optimizer is not None else None,
        learning_rate=_learning_rate(config.get("optimizer")),
        loss=tuple(_name(leaf) for leaf in _leaves(config.get("loss"))),
        metrics=tuple(_name(leaf) for leaf in _leaves(config.get("metrics"))),
    )


def carry_compile(converted: keras.Model, config: Mapping[str, Any] | None) -> CompileSettings:
    """Compile ``converted`` as ``config`` says, or say why it cannot be.

    Args:
        converted: the converted model (compiled in place when the settings can be rebuilt).
        config: the original's compile settings (`compile_config_of`, or a file's
            ``compile_config``); None when it had none.

    Returns:
        What happened: kept (with the settings by name), dropped (with the object that could
        not be rebuilt) or not compiled.
    """
    if not config:
        return CompileSettings()
    unresolved = _unresolved(config)
    if unresolved is None:
        try:
            converted.compile(**keras.saving.deserialize_keras_object(copy.deepcopy(dict(config))))
            return describe(config, CompileFate.KEPT)
        except Exception as error:  # an option this Keras rejects: the settings cannot be kept
            unresolved = ("settings", type(error).__name__)
    return dataclasses.replace(
        describe(config, CompileFate.DROPPED), failed_part=unresolved[0], failed_name=unresolved[1]
    )
