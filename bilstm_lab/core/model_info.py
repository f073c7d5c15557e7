"""What the lab knows about a real Keras model, as plain data: its layer table and its graph.

Built in a worker process by `bilstm_lab.models.introspect` and shown by the server (the
Convert page, the CLI's ``inspect``), so it lives here, free of TensorFlow: unpickling a
`ModelInfo` in the Streamlit process imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass

from bilstm_lab.core.errors import ModelFileTooLarge
from bilstm_lab.core.formatting import fmt, format_shape, megabytes, text_table

#: A tensor shape; ``None`` for an unknown dimension.
Shape = tuple[int | None, ...]

#: Largest model file accepted, in bytes: below the server's maxUploadSize (20 MB), so users meet
#: this check and its clear message rather than the browser's. Here (not in `models`) because the
#: page refuses an oversized upload before reading it, without TensorFlow.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024

#: The built-in example models (key -> title), in the order the Convert page offers them. The
#: models themselves are built in a worker by `bilstm_lab.models.examples`.
EXAMPLE_TITLES: dict[str, str] = {
    "seed000-ex3": "Stacked LSTM (64, 32) + Dense classifier on token ids (Functional)",
    "seed000-ex2": "Embedding + LSTM(64) + Dense classifier on token ids (Functional)",
    "gru-tagger": "GRU(16) → GRU(8) → Dense(3) tagger (Sequential)",
}


def file_too_large(name: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> ModelFileTooLarge:
    """The error for a model file of ``size`` bytes over ``limit`` (page, CLI and loader)."""
    return ModelFileTooLarge(
        f"{name} is too large: the limit is {megabytes(limit)}, received {megabytes(size)}"
    )


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a model's table (InputLayers are left out).

    Attributes:
        name: the layer's name (user text when the model was uploaded).
        kind: the Keras class, ``Bidirectional(LSTM)`` for a wrapper.
        output_shapes: its output shape(s); empty when the model has no layer graph.
        params: ``count_params()``.
    """

    name: str
    kind: str
    output_shapes: tuple[Shape, ...]
    params: int

    def to_dict(self) -> dict[str, str | int]:
        """The row as a table or JSON shows it."""
        return {
            "layer": self.name,
            "type": self.kind,
            "output shape": format_shape(self.output_shapes) if self.output_shapes else "?",
            "params": self.params,
        }


@dataclass(frozen=True)
class GraphNode:
    """One box of the model's diagram: a layer, an InputLayer or an operation of the graph."""

    name: str
    kind: str
    params: int


@dataclass(frozen=True)
class GraphEdge:
    """A tensor flowing from ``source`` to ``target``; ``shape`` is None when unknown."""

    source: str
    target: str
    shape: Shape | None


@dataclass(frozen=True)
class ModelInfo:
    """A model's layer table and graph, and which of its layers the converter can change.

    Attributes:
        name: the model's name (user text when uploaded).
        layers: every layer but the InputLayers, in model order.
        nodes: the diagram's boxes (InputLayers included), in model order.
        edges: the diagram's arrows, each drawn once.
        recurrent: names of the plain LSTM/GRU/SimpleRNN layers (what "wrap" may change).
        bidirectional: names of the `Bidirectional` layers (what "unwrap" may change).
        total_params: the model's ``count_params()``.
    """

    name: str
    layers: tuple[LayerInfo, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    recurrent: tuple[str, ...]
    bidirectional: tuple[str, ...]
    total_params: int

    def rows(self) -> list[dict[str, str | int]]:
        """Name, type, output shape(s) and parameters of every layer (no InputLayer)."""
        return [layer.to_dict() for layer in self.layers]

    def to_text(self) -> str:
        """The shape/parameter table as plain text (the CLI's ``inspect`` prints this)."""
        table = [["layer", "type", "output shape", "params"]] + [
            [str(r["layer"]), str(r["type"]), str(r["output shape"]), fmt(int(r["params"]))]
            for r in self.rows()
        ]
        lines = text_table(table, right_aligned={3})
        lines.append(f"total params: {fmt(self.total_params)}")
        return f"model {self.name!r}\n" + "\n".join(lines)


@dataclass(frozen=True)
class InspectRequest:
    """Payload of the ``inspect_upload`` job: a model file's bytes and its display name."""

    data: bytes
    name: str


@dataclass(frozen=True)
class ExampleModel:
    """Result of the ``example_model`` job: a built-in example as a ``.keras`` file.

    Attributes:
        key: the example's key (see `EXAMPLE_TITLES`).
        title: its title.
        data: the ``.keras`` bytes (what a conversion job loads, like an upload).
        info: its layer table and graph.
    """

    key: str
    title: str
    data: bytes
    info: ModelInfo
