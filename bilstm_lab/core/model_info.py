"""What the lab knows about a real Keras model, as plain data: its layer table and its graph.

Built in a worker process by `bilstm_lab.models.introspect` and shown by the server (the
Convert page, the CLI's ``inspect``), so it lives here, free of TensorFlow: unpickling a
`ModelInfo` in the Streamlit process imports nothing heavy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bilstm_lab.core import explain
from bilstm_lab.core.env_settings import whole_number_setting
from bilstm_lab.core.errors import ModelFileTooLarge
from bilstm_lab.core.formatting import fmt, format_shape, megabytes, text_table

#: A tensor shape; ``None`` for an unknown dimension.
Shape = tuple[int | None, ...]

#: The environment variable that sets the upload limit, in MB (MiB, as Streamlit counts them).
UPLOAD_LIMIT_ENV = "BILSTM_LAB_MAX_UPLOAD_MB"
#: The default limit: a real trained model saved with its optimizer state (the keras.io IMDB
#: BiLSTM is about 30 MB) fits, and so does its converted version.
DEFAULT_UPLOAD_MB = 64
#: Bounds for the limit: a model file has to be read into a worker's memory whole.
MIN_UPLOAD_MB, MAX_UPLOAD_MB_SETTING = 1, 1024


def upload_limit_mb(value: str | None, default: int = DEFAULT_UPLOAD_MB) -> int:
    """The upload limit from ``BILSTM_LAB_MAX_UPLOAD_MB``'s ``value``; ``default`` if unset or bad.

    A bad value warns and falls back: a typo in a deployment must not stop the server.
    """
    return whole_number_setting(
        value,
        MIN_UPLOAD_MB,
        MAX_UPLOAD_MB_SETTING,
        default,
        explain.bad_upload_limit(
            UPLOAD_LIMIT_ENV, str(value), MIN_UPLOAD_MB, MAX_UPLOAD_MB_SETTING
        ),
    )


#: Largest model file accepted, in MB: the one setting. The page, the CLI and the loader check
#: it; the Convert page's uploader and the launcher hand it to Streamlit (``maxUploadSize``), so
#: users meet the lab's message, not the browser's. Here (not in `models`) because the page
#: refuses an oversized upload before reading it, without TensorFlow.
MAX_UPLOAD_MB = upload_limit_mb(os.environ.get(UPLOAD_LIMIT_ENV))
#: The same limit in bytes.
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024

#: The built-in example models (key -> title), in the order the Convert page offers them. The
#: models themselves are built in a worker by `bilstm_lab.models.examples`.
EXAMPLE_TITLES: dict[str, str] = {
    "stacked-classifier": "Stacked LSTM (64, 32) + Dense classifier on token ids (Functional)",
    "embedding-classifier": "Embedding + LSTM(64) + Dense classifier on token ids (Functional)",
    "gru-tagger": "GRU(16) → GRU(8) → Dense(3) tagger (Sequential)",
}


def file_too_large(name: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> ModelFileTooLarge:
    """The error for a model file of ``size`` bytes over ``limit`` (page, CLI and loader)."""
    return ModelFileTooLarge(
        explain.file_too_large(name, megabytes(limit), UPLOAD_LIMIT_ENV, megabytes(size))
    )


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a model's table (InputLayers are left out).

    Attributes:
        name: the layer's path: its name, prefixed by the nested models it sits in
            (``encoder/lstm``); user text when the model was uploaded.
        kind: the Keras class: ``Bidirectional(LSTM)``, ``TimeDistributed(Dense)`` for a wrapper,
            ``RNN(LSTMCell)`` for a generic recurrent layer.
        output_shapes: its output shape(s) (its first call's, for a shared layer); empty when
            unknown (a subclassed model, an unbuilt one).
        params: ``count_params()``; 0 for an unbuilt layer.
        depth: how many nested models the layer sits in (0 at the top).
        calls: how many times the model calls it (more than 1 for a shared layer).
        built: False for a layer that has no weights yet (an unbuilt Sequential's).
    """

    name: str
    kind: str
    output_shapes: tuple[Shape, ...]
    params: int
    depth: int = 0
    calls: int = 1
    built: bool = True

    def to_dict(self) -> dict[str, str | int]:
        """The row as a table or JSON shows it."""
        return {
            "layer": self.name,
            "type": self.kind,
            "output shape": format_shape(self.output_shapes) if self.output_shapes else "?",
            "params": self.params,
        }

    def params_text(self) -> str:
        """The parameter count as Keras's ``summary()`` writes it (``0 (unbuilt)``)."""
        return fmt(self.params) if self.built else f"{fmt(self.params)} (unbuilt)"


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
        layers: every layer but the InputLayers, in model order; a nested model's row is
            followed by its own layers (``depth`` one more), as Keras's ``expand_nested`` shows.
        nodes: the diagram's boxes (InputLayers included), in model order.
        edges: the diagram's arrows, each drawn once.
        recurrent: paths of the plain recurrent layers (what "wrap" may change), nested ones
            as ``outer/inner``.
        bidirectional: paths of the `Bidirectional` layers (what "unwrap" may change).
        total_params: the model's ``count_params()`` (0 when unbuilt).
        built: False for a model without weights yet (an unbuilt Sequential).
    """

    name: str
    layers: tuple[LayerInfo, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    recurrent: tuple[str, ...]
    bidirectional: tuple[str, ...]
    total_params: int
    built: bool = True

    def rows(self) -> list[dict[str, str | int]]:
        """Name, type, output shape(s) and parameters of every layer (no InputLayer)."""
        return [layer.to_dict() for layer in self.layers]

    def notes(self) -> list[str]:
        """What the table alone does not say: an unbuilt model, which call of a shared layer."""
        notes = [] if self.built else [explain.UNBUILT_MODEL]
        notes += [explain.shared_layer(row.name, row.calls) for row in self.layers if row.calls > 1]
        return notes

    def to_text(self) -> str:
        """The shape/parameter table as plain text (the CLI's ``inspect`` prints this)."""
        table = [["layer", "type", "output shape", "params"]] + [
            [
                "  " * row.depth + row.name,
                row.kind,
                str(row.to_dict()["output shape"]),
                row.params_text(),
            ]
            for row in self.layers
        ]
        lines = text_table(table, right_aligned={3})
        total = fmt(self.total_params) if self.built else f"{fmt(self.total_params)} (unbuilt)"
        lines.append(f"total params: {total}")
        return "\n".join([f"model {self.name!r}", *lines, *self.notes()])


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
