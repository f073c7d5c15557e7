"""The layer table and graph of any saved or in-memory Keras model, as plain data.

`model_info` reads a model through public Keras API only — ``model.layers``, ``layer.output``,
``layer.built``, ``count_params()``, ``model.inputs`` and, for the graph and the calls of a
Functional model, the wiring its ``get_config()`` describes (the same JSON a ``.keras`` file
holds) — and returns a `bilstm_lab.core.model_info.ModelInfo` the server can unpickle without
TensorFlow. Nested models are walked (`walk_layers`): their layers are named by path,
``outer/inner``, which is also how the converter's ``layers`` argument names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras

from bilstm_lab.core.model_info import GraphEdge, GraphNode, LayerInfo, ModelInfo, Shape
from bilstm_lab.core.spec import Cell
from bilstm_lab.models.builder import cell_class, layer_output_shapes

#: Keras recurrent layer classes the converter wraps (from the builder's one cell -> class map).
RECURRENT_TYPES: tuple[str, ...] = tuple(cell_class(cell).__name__ for cell in Cell)
#: Every class the converter wraps: the three cells, and a generic ``RNN(cell)``.
CONVERTIBLE_TYPES: tuple[str, ...] = (*RECURRENT_TYPES, "RNN")
#: Joins a nested model's name and its layer's name in a path.
PATH_SEPARATOR = "/"

# Keras's own names, which no user can choose for a layer's class.
_INPUT_LAYER = "InputLayer"
_BIDIRECTIONAL = "Bidirectional"


@dataclass(frozen=True)
class LayerEntry:
    """One layer met while walking a model, nested models included.

    Attributes:
        path: its name prefixed by the nested models it sits in (``encoder/lstm``).
        layer: the layer (or nested model) itself.
        depth: how many nested models it sits in.
        calls: how many times its own model calls it (more than 1 for a shared layer).
    """

    path: str
    layer: keras.layers.Layer
    depth: int
    calls: int


def model_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's own layers without its InputLayer(s) (nested models not opened)."""
    return [layer for layer in model.layers if type(layer).__name__ != _INPUT_LAYER]


def is_graph_model(layer: Any) -> bool:
    """Whether ``layer`` is a Sequential or Functional model: a layer graph the lab can rewrite."""
    return isinstance(layer, keras.Sequential) or type(layer).__name__ == "Functional"


def layer_calls(model: keras.Model) -> dict[str, int]:
    """How many times a Functional model calls each of its layers (its config's nodes).

    Sequential and subclassed models call each layer once as far as anyone can tell.
    """
    if type(model).__name__ != "Functional":
        return {}
    try:
        entries = model.get_config().get("layers", [])
    except Exception:  # an exotic layer whose get_config fails: every layer counts once
        return {}
    return {
        str(entry.get("name")): len(entry.get("inbound_nodes") or [])
        for entry in entries
        if isinstance(entry, dict)
    }


def walk_layers(model: keras.Model, prefix: str = "", depth: int = 0) -> Iterator[LayerEntry]:
    """Every layer of ``model`` in model order, each nested model followed by its own layers.

    Wrappers (`Bidirectional`, `TimeDistributed`) are single entries: their inner layers
    are part of them, as in Keras's ``summary()``.
    """
    calls = layer_calls(model)
    for layer in model_layers(model):
        path = f"{prefix}{layer.name}"
        yield LayerEntry(path, layer, depth, max(1, calls.get(layer.name, 1)))
        if isinstance(layer, keras.Model):
            yield from walk_layers(layer, path + PATH_SEPARATOR, depth + 1)


def parent_model(model: keras.Model, path: str) -> keras.Model:
    """The (nested) model holding the layer at ``path``."""
    parent = model
    for name in path.split(PATH_SEPARATOR)[:-1]:
        parent = parent.get_layer(name)
    return parent


def layer_at(model: keras.Model, path: str) -> keras.layers.Layer:
    """The layer at ``path`` (``outer/inner`` inside a nested model)."""
    return parent_model(model, path).get_layer(path.split(PATH_SEPARATOR)[-1])


def _inside_graph_models(model: keras.Model, entry: LayerEntry) -> bool:
    # A layer the converter can reach: every model on its path is a layer graph.
    parent: Any = model
    for name in entry.path.split(PATH_SEPARATOR)[:-1]:
        parent = parent.get_layer(name)
        if not is_graph_model(parent):
            return False
    return True


def recurrent_layer_names(model: keras.Model) -> list[str]:
    """Paths of the plain (unwrapped) recurrent layers the converter can wrap, in model order."""
    return [
        entry.path
        for entry in walk_layers(model)
        if type(entry.layer).__name__ in CONVERTIBLE_TYPES and _inside_graph_models(model, entry)
    ]


def bidirectional_layer_names(model: keras.Model) -> list[str]:
    """Paths of the `Bidirectional` wrappers, in model order."""
    return [
        entry.path
        for entry in walk_layers(model)
        if type(entry.layer).__name__ == _BIDIRECTIONAL and _inside_graph_models(model, entry)
    ]


def layer_kind(layer: keras.layers.Layer) -> str:
    """The Keras class, with what a wrapper or a generic RNN holds.

    ``Bidirectional(LSTM)``, ``TimeDistributed(Dense)``, ``RNN(LSTMCell)``; otherwise the class.
    """
    if isinstance(layer, keras.layers.Bidirectional):
        return f"{_BIDIRECTIONAL}({layer_kind(layer.forward_layer)})"
    if isinstance(layer, keras.layers.Wrapper):
        return f"{type(layer).__name__}({layer_kind(layer.layer)})"
    if type(layer) is keras.layers.RNN:
        return f"RNN({type(layer.cell).__name__})"
    return type(layer).__name__


def layer_params(layer: keras.layers.Layer) -> int:
    """``count_params()``, or 0 for a layer Keras has not built (it raises there)."""
    return layer.count_params() if layer.built else 0


def _shape(shape: Any) -> Shape:
    # Plain ints and None (a TensorShape or a JSON list may come in): picklable, comparable.
    return tuple(None if dim is None else int(dim) for dim in shape)


def output_shapes(layer: keras.layers.Layer) -> tuple[Shape, ...]:
    """The layer's output shape(s) at its first call; empty when it was never called."""
    try:
        return tuple(_shape(shape) for shape in layer_output_shapes(layer))
    except (AttributeError, ValueError, RuntimeError):
        return ()  # never called on symbolic tensors: unbuilt, or a subclassed model's layer


def layer_info(item: LayerEntry | keras.layers.Layer) -> LayerInfo:
    """One row of the layer table: a walked entry, or a layer on its own (at the top, once)."""
    entry = item if isinstance(item, LayerEntry) else LayerEntry(item.name, item, 0, 1)
    layer = entry.layer
    return LayerInfo(
        name=entry.path,
        kind=layer_kind(layer),
        output_shapes=output_shapes(layer),
        params=layer_params(layer),
        depth=entry.depth,
        calls=entry.calls,
        built=bool(layer.built),
    )


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


def _graph_node(name: str, layer: keras.layers.Layer | None, entry: dict[str, Any]) -> GraphNode:
    if layer is not None:
        return GraphNode(name, layer_kind(layer), layer_params(layer))
    # An operation of the graph that is not a layer (``x[:, -1]``, ``ops.add``).
    return GraphNode(name, str(entry.get("class_name", "?")), 0)


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
        nodes.append(_graph_node(name, layers.get(name), entry))
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
        nodes.append(GraphNode(layer.name, layer_kind(layer), layer_params(layer)))
        if previous is not None:
            edges.append(GraphEdge(previous[0], layer.name, previous[1]))
        shapes = output_shapes(layer)
        previous = (layer.name, shapes[0] if shapes else None)
    return nodes, edges


def _graph(model: keras.Model) -> tuple[list[GraphNode], list[GraphEdge]]:
    if isinstance(model, keras.Sequential):
        return _sequential_graph(model)
    graph = _functional_graph(model)
    if graph is not None:
        return graph
    # A subclassed model: its layers, without arrows (its call() is Python code).
    return [
        GraphNode(layer.name, layer_kind(layer), layer_params(layer)) for layer in model.layers
    ], []


def model_info(model: keras.Model) -> ModelInfo:
    """The layer table and graph of a model (Sequential, Functional, or subclassed).

    Args:
        model: any Keras model, built or not; a subclassed one has a table but no arrows.

    Returns:
        Plain data: paths, types, shapes, parameter counts, calls and the graph's nodes and
        edges; nested models are expanded in the table (the graph shows them as one box).
    """
    nodes, edges = _graph(model)
    return ModelInfo(
        name=model.name,
        layers=tuple(layer_info(entry) for entry in walk_layers(model)),
        nodes=tuple(nodes),
        edges=tuple(edges),
        recurrent=tuple(recurrent_layer_names(model)),
        bidirectional=tuple(bidirectional_layer_names(model)),
        total_params=layer_params(model),
        built=bool(model.built),
    )


def inspect_rows(model: keras.Model) -> list[dict[str, str | int]]:
    """Name, type, output shape(s) and parameters of every layer (no InputLayer)."""
    return model_info(model).rows()


def inspect_text(model: keras.Model) -> str:
    """The shape/parameter table of a model as plain text (``inspect`` prints this)."""
    return model_info(model).to_text()
