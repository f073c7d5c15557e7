"""What a conversion did, as plain data: the per-layer report and the save/reload check.

Built in a worker process by `bilstm_lab.models.convert` and shown by the server (the Convert
page) or printed by the CLI, so it lives here, free of TensorFlow: unpickling a
`ConversionReport` in the Streamlit process imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bilstm_lab.core import explain
from bilstm_lab.core.formatting import fmt, format_shape, text_table
from bilstm_lab.core.model_info import ModelInfo, Shape

#: What happened to a layer's weights (the report's "weights" column).
KEPT = "kept"
NO_WEIGHTS = "no weights"
WARM_STARTED = "forward ← original, backward new"
COLD = "new (warm start off)"
WIDTH_CHANGED = "new: input width changed"
UNWRAPPED = "forward kept, backward dropped"


class Freshness(StrEnum):
    """Which of a converted layer's weights start from new random values (and must be trained)."""

    #: None: every weight it has came from the original model (or it has no weights).
    NONE = "none"
    #: Its backward direction: a warm-started wrapper's forward direction is the original layer.
    BACKWARD = "backward half"
    #: All of them (its input width changed, or the wrapper was not warm-started).
    ALL = "all"


#: Each fate's fresh weights.
FRESHNESS = {
    KEPT: Freshness.NONE,
    NO_WEIGHTS: Freshness.NONE,
    UNWRAPPED: Freshness.NONE,
    WARM_STARTED: Freshness.BACKWARD,
    COLD: Freshness.ALL,
    WIDTH_CHANGED: Freshness.ALL,
}

#: Largest difference accepted between a converted layer's forward half and the original layer
#: on the same batch: the same weights run the same operations, so anything above float32
#: rounding means the conversion changed what the forward direction computes.
FORWARD_TOLERANCE = 1e-5


class CompileFate(StrEnum):
    """What happened to the original model's optimizer, loss and metrics."""

    #: The original had none (saved or built uncompiled).
    NOT_COMPILED = "not compiled"
    #: The converted model is compiled with the same settings (the optimizer state starts afresh).
    KEPT = "kept"
    #: They could not be rebuilt (custom code), so the converted model is saved uncompiled.
    DROPPED = "dropped"


@dataclass(frozen=True)
class CompileSettings:
    """The compile settings a conversion carried over (or why not).

    Attributes:
        fate: kept, dropped or not compiled.
        optimizer: the optimizer's class (``Adam``), when known.
        learning_rate: its learning rate, when a plain number.
        loss: the loss(es) by name.
        metrics: the metrics by name.
        failed_part: for a drop, which setting could not be rebuilt (``loss``, ``optimizer``…).
        failed_name: for a drop, the name of the object that could not be rebuilt.
    """

    fate: CompileFate = CompileFate.NOT_COMPILED
    optimizer: str | None = None
    learning_rate: float | None = None
    loss: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    failed_part: str | None = None
    failed_name: str | None = None

    def summary(self) -> str:
        """The settings in short: ``optimizer Adam (learning rate 0.001), loss mse``."""
        parts = []
        if self.optimizer:
            rate = "" if self.learning_rate is None else f" (learning rate {self.learning_rate:g})"
            parts.append(f"optimizer {self.optimizer}{rate}")
        if self.loss:
            parts.append("loss " + ", ".join(self.loss))
        if self.metrics:
            parts.append("metrics " + ", ".join(self.metrics))
        return ", ".join(parts) or "no optimizer, loss or metrics"

    def sentence(self) -> str:
        """What happened to them, in words."""
        return explain.compile_settings(
            self.fate.value, self.summary(), self.failed_part, self.failed_name
        )


class Direction(StrEnum):
    """Which way a conversion goes."""

    #: Wrap plain recurrent layers in `Bidirectional`.
    WRAP = "wrap"
    #: Replace `Bidirectional` wrappers by their forward layer.
    UNWRAP = "unwrap"


@dataclass(frozen=True)
class LayerChange:
    """One layer before and after a conversion.

    Attributes:
        before: the layer's name in the original model.
        after: its name in the converted model.
        type_before: Keras class before, ``Bidirectional(LSTM)`` for a wrapper.
        type_after: Keras class after.
        shapes_before: output shape(s) before.
        shapes_after: output shape(s) after.
        params_before: ``count_params()`` before.
        params_after: ``count_params()`` after.
        weights: what happened to the weights (one of the module's fate constants).
    """

    before: str
    after: str
    type_before: str
    type_after: str
    shapes_before: tuple[Shape, ...]
    shapes_after: tuple[Shape, ...]
    params_before: int
    params_after: int
    weights: str

    @property
    def freshness(self) -> Freshness:
        """Which of its weights start from new random values: none, the backward half, all."""
        return FRESHNESS.get(self.weights, Freshness.NONE)

    @property
    def fresh(self) -> bool:
        """Whether the whole layer starts from new random weights."""
        return self.freshness is Freshness.ALL

    def to_dict(self) -> dict[str, Any]:
        """The row as a table or JSON shows it."""
        return {
            "layer": self.before if self.before == self.after else f"{self.before} → {self.after}",
            "type": self.type_before
            if self.type_before == self.type_after
            else f"{self.type_before} → {self.type_after}",
            "output before": format_shape(self.shapes_before),
            "output after": format_shape(self.shapes_after),
            "params before": self.params_before,
            "params after": self.params_after,
            "weights": self.weights,
        }


@dataclass(frozen=True)
class ConversionReport:
    """Every layer of a conversion, in model order, and what happened to the compile settings.

    Attributes:
        rows: one per layer (a nested model's layers named ``outer/inner``; a wrapper is one
            row, its inner layers included in its weights and parameters).
        compile: the optimizer, loss and metrics carried over, or why not.
    """

    rows: tuple[LayerChange, ...]
    compile: CompileSettings = CompileSettings()

    @property
    def params_before(self) -> int:
        """Total parameters of the original model."""
        return sum(row.params_before for row in self.rows)

    @property
    def params_after(self) -> int:
        """Total parameters of the converted model."""
        return sum(row.params_after for row in self.rows)

    @property
    def fresh_layers(self) -> tuple[str, ...]:
        """Names (after conversion) of the layers whose weights are all new random values."""
        return tuple(row.after for row in self.rows if row.fresh)

    @property
    def backward_fresh_layers(self) -> tuple[str, ...]:
        """Names (after conversion) of the wrappers whose backward direction alone is new."""
        return tuple(row.after for row in self.rows if row.freshness is Freshness.BACKWARD)

    @property
    def retrain_layers(self) -> tuple[str, ...]:
        """Names (after conversion) of every layer with new random weights, in model order."""
        return tuple(row.after for row in self.rows if row.freshness is not Freshness.NONE)

    def freshness_by_layer(self) -> dict[str, Freshness]:
        """Each layer's fresh weights, by name after conversion (the diagram's colours)."""
        return {row.after: row.freshness for row in self.rows}

    def retrain_note(self, markdown: bool = False) -> str | None:
        """The sentence naming what to retrain (page, CLI and notebook API); None if nothing."""
        if not self.retrain_layers:
            return None
        return explain.fresh_layers(
            self.retrain_layers, markdown=markdown, backward=self.backward_fresh_layers
        )

    @property
    def changed_layers(self) -> tuple[str, ...]:
        """Names (after conversion) of the layers whose type changed (wrapped or unwrapped)."""
        return tuple(row.after for row in self.rows if row.type_before != row.type_after)

    def to_text(self) -> str:
        """The report as a plain-text table (the CLI prints this)."""
        header = ["layer", "type", "output before", "output after", "params", "weights"]
        lines = [header]
        for row in self.rows:
            data = row.to_dict()
            lines.append(
                [
                    data["layer"],
                    data["type"],
                    data["output before"],
                    data["output after"],
                    f"{fmt(row.params_before)} → {fmt(row.params_after)}",
                    row.weights,
                ]
            )
        lines.append(
            ["total", "", "", "", f"{fmt(self.params_before)} → {fmt(self.params_after)}", ""]
        )
        text = text_table(lines, right_aligned=())
        note = self.retrain_note()
        if note:
            text.append(note)
        text.append(self.compile.sentence())
        return "\n".join(text)


@dataclass(frozen=True)
class ForwardCheck:
    """One comparison of a converted layer's forward direction with the original layer.

    Both run on the same input (the reloaded model's own input to the layer, with its mask and
    initial states), so they must agree wherever the forward direction was warm-started.

    Attributes:
        layer: the converted layer's path.
        call: which call of the layer (1 unless it is shared).
        part: what was compared with the original layer's output: ``"output"`` (the forward
            half of the converted layer's output: concat and none keep it apart),
            ``"forward_layer"`` (its forward layer run on that input: the only way under sum,
            mul and ave, which mix the halves) or ``"unwrapped"`` (an unwrapped layer's output
            against the wrapper's forward layer).
        difference: the largest absolute difference.
    """

    layer: str
    call: int
    part: str
    difference: float


@dataclass(frozen=True)
class ConversionCheck:
    """The proof that a converted file works: saved, loaded back (safe_mode) and run.

    Attributes:
        size_bytes: the saved ``.keras`` file's size.
        batch_shapes: the shape of each input of the check batch (free axes given a size).
        output_shapes: the shape of each output the reloaded model predicted.
        forward_checks: the warm-start comparisons (empty when nothing was warm-started).
        kept_checked: how many layers reported as keeping their weights were compared, weight
            by weight, with the original in the reloaded file.
    """

    size_bytes: int
    batch_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    forward_checks: tuple[ForwardCheck, ...] = ()
    kept_checked: int = 0

    def worst_by_layer(self) -> dict[str, float]:
        """Each checked layer's largest difference."""
        worst: dict[str, float] = {}
        for check in self.forward_checks:
            worst[check.layer] = max(worst.get(check.layer, 0.0), check.difference)
        return worst

    def lines(self) -> list[str]:
        """The check in words: the save/reload/run line, then the forward-half line."""
        return [
            explain.conversion_check(self.size_bytes, self.batch_shapes, self.output_shapes),
            explain.forward_check(
                self.worst_by_layer(),
                FORWARD_TOLERANCE,
                unwrapped=any(check.part == "unwrapped" for check in self.forward_checks),
            ),
        ]


@dataclass(frozen=True)
class ConvertRequest:
    """Payload of the ``convert_upload`` job.

    Attributes:
        data: the model file's bytes (an upload, or an example's ``.keras`` bytes).
        name: its display name, for messages.
        direction: wrap or unwrap.
        layers: the names of the layers to convert; None means all that qualify.
        merge_mode: ``concat``, ``sum``, ``mul``, ``ave`` or ``none`` (wrap only).
        warm_start: start each forward direction from the original weights (wrap only).
        seed: base seed for every freshly initialised weight.
    """

    data: bytes
    name: str
    direction: Direction
    layers: tuple[str, ...] | None = None
    merge_mode: str = "concat"
    warm_start: bool = True
    seed: int = 0


@dataclass(frozen=True)
class ConvertResult:
    """Result of the ``convert_upload`` job: the checked file, its report and its picture.

    Attributes:
        data: the converted model's ``.keras`` bytes (already loaded back and run).
        report: what happened to every layer.
        check: the save/reload/predict numbers.
        info: the converted model's layer table and graph.
    """

    data: bytes
    report: ConversionReport
    check: ConversionCheck
    info: ModelInfo
