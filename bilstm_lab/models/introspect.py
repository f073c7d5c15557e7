"""The layer table and graph of any saved or in-memory Keras model, as plain data.

`model_info` reads a model through public Keras API only — ``model.layers``, ``layer.output``,
``count_params()``, ``model.inputs`` and, for the graph of a Functional model, the wiring its
``get_config()`` describes (the same JSON a ``.keras`` file holds) — and returns a
`bilstm_lab.core.model_info.ModelInfo` the server can unpickle without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras

from bilstm_lab.core.model_info import GraphEdge, GraphNode, LayerInfo, ModelInfo, Shape
from bilstm_lab.core.spec import Cell
from bilstm_lab.models.builder import cell_class, layer_output_shapes, layer_type

#: Keras recurrent layer classes the converter wraps (from the builder's one cell -> class map).
RECURRENT_TYPES: tuple[str, ...] = tuple(cell_class(cell).__name__ for cell in Cell)

# Keras's own names, which no user can choose for a layer's class.
_INPUT_LAYER = "InputLayer"
_BIDIRECTIONAL = "Bidirectional"


def model_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's layers without its InputLayer(s)."""
    return [layer for layer in model.layers if type(layer).__name__ != _INPUT_LAYER]


def recurrent_layer_names(model: keras.Model) -> list[str]:
    """Names of the plain (unwrapped) LSTM/GRU/SimpleRNN layers, in model order."""
    return [layer.name for layer in model_layers(model) if type(layer).__name__ in RECURRENT_TYPES]


def bidirectional_layer_names(model: keras.Model) -> list[str]:
    """Names of the `Bidirectional` wrappers, in model order."""
    return [layer.name for layer in model_layers(model) if type(layer).__name__ == _BIDIRECTIONAL]


def _shape(shape: Any) -> Shape:
    # Plain ints and None (a TensorShape or a JSON list may come in): picklable, comparable.
    return tuple(None if dim is None else int(dim) for dim in shape)


def _output_shapes(layer: keras.layers.Layer) -> tuple[Shape, ...]:
    try:
        return tuple(_shape(shape) for shape in layer_output_shapes(layer))
    except (AttributeError, ValueError, RuntimeError):
        return ()  # a layer of a subclassed model, never called on symbolic tensors


def layer_info(layer: keras.layers.Layer) -> LayerInfo:
    """One row of the layer table."""
    return LayerInfo(layer.name, layer_type(layer), _output_shapes(layer), layer.count_params())


def _config_tensors(node: Any) -> Iterator[dict[str, Any]]:
    """Every serialised tensor (``__keras_tensor__``) in a node's call arguments."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__" and isinstance(node.get("config"), dict):
            yield node["config"]
            return
        for value in node.values():
            yield from _config_tensors(value)
    elif isinstance(node, (list, tuple)):  # tuples in memory, lists once read from JSON
        for value in node:
            yield from _config_tensors(value)


def _functional_graph(model: keras.Model) -> tuple[list[GraphNode], list[GraphEdge]] | None:
    """Nodes and edges from a Functional model's config: its ``inbound_nodes`` are the wiring.

    Returns None when the model has no such config (a subclassed model).
    """
    try:
        config = model.get_config()
    except Exception:  # NotImplementedError for subclassed models, anything for exotic ones
        return None
    entries = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(entries, list) or "input_layers" not in config:
        return None
    layers = {layer.name: layer for layer in model.layers}
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        name = str(entry.get("name", entry.get("config", {}).get("name", "?")))
        layer = layers.get(name)
        if layer is not None:
            nodes.append(GraphNode(name, layer_type(layer), layer.count_params()))
        else:  # an operation of the graph that is not a layer (``x[:, -1]``, ``ops.add``)
            nodes.append(GraphNode(name, str(entry.get("class_name", "?")), 0))
        for tensor in _config_tensors(entry.get("inbound_nodes", [])):
            history = tensor.get("keras_history")
            if not isinstance(history, (list, tuple)) or not history:
                continue
            parent = str(history[0])
            # A layer called on several outputs of one parent gets one arrow, as drawn before.
            if (parent, name) in seen:
                continue
            seen.add((parent, name))
            shape = tensor.get("shape")
            edges.append(GraphEdge(parent, name, None if shape is None else _shape(shape)))
    return nodes, edges


def _sequential_graph(model: keras.Sequential) -> tuple[list[GraphNode], list[GraphEdge]]:
    """A Sequential is a chain: its input, then each layer fed by the one before."""
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    previous: tuple[str, Shape | None] | None = None
    try:
        inputs = list(model.inputs or [])
    except (AttributeError, ValueError):
        inputs = []  # an unbuilt Sequential
    if inputs:
        tensor = inputs[0]
        nodes.append(GraphNode(tensor.name, _INPUT_LAYER, 0))
        previous = (tensor.name, _shape(tensor.shape))
    for layer in model.layers:
        nodes.append(GraphNode(layer.name, layer_type(layer), layer.count_params()))
        if previous is not None:
            edges.append(GraphEdge(previous[0], layer.name, previous[1]))
        shapes = _output_shapes(layer)
        previous = (layer.name, shapes[0] if shapes else None)
    return nodes, edges


def model_info(model: keras.Model) -> ModelInfo:
    """The layer table and graph of a model (Sequential, Functional, or subclassed).

    Args:
        model: any Keras model; a subclassed one has a table but no arrows.

    Returns:
        Plain data: names, types, shapes, parameter counts and the graph's nodes and edges.
    """
    if isinstance(model, keras.Sequential):
        nodes, edges = _sequential_graph(model)
    else:
        graph = _functional_graph(model)
        if graph is None:
            nodes = [
                GraphNode(layer.name, layer_type(layer), layer.count_params())
                for layer in model.layers
            ]
            edges = []
        else:
            nodes, edges = graph
    return ModelInfo(
        name=model.name,
        layers=tuple(layer_info(layer) for layer in model_layers(model)),
        nodes=tuple(nodes),
        edges=tuple(edges),
        recurrent=tuple(recurrent_layer_names(model)),
        bidirectional=tuple(bidirectional_layer_names(model)),
        total_params=model.count_params(),
    )


def inspect_rows(model: keras.Model) -> list[dict[str, str | int]]:
    """Name, type, output shape(s) and parameters of every layer (no InputLayer)."""
    return model_info(model).rows()


def inspect_text(model: keras.Model) -> str:
    """The shape/parameter table of a model as plain text (``inspect`` prints this)."""
    return model_info(model).to_text()
