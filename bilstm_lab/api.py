"""The notebook API: the lab's numbers in one call, with a rich display in Jupyter.

::

    import bilstm_lab as lab

    lab.compare(cell="gru", units=(64, 32), seq_len=20, vocab=10000, embedding_dim=128)
    lab.inspect_model(model)            # or a path to a .keras file
    bi_model, report = lab.to_bidirectional(model)

`compare` is pure Python (its fields are the CLI's flags, through `bilstm_lab.core.fields`);
`inspect_model` and `to_bidirectional` import Keras when called, never before. Each returns an
object with ``_repr_html_`` (what a notebook shows), ``to_frame()`` (a pandas DataFrame) and a
plain-text ``repr``. Bad input raises a `bilstm_lab.core.errors.InputError` subclass whose
message names the argument and ends with the value received.
"""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from bilstm_lab.core import comparison_table
from bilstm_lab.core.analysis import Comparison
from bilstm_lab.core.analysis import compare as _analyse
from bilstm_lab.core.conversion import ConversionCheck, ConversionReport, Direction
from bilstm_lab.core.errors import NotAModel, SpecError
from bilstm_lab.core.fields import spec_from_settings
from bilstm_lab.core.formatting import fmt, html_table
from bilstm_lab.core.model_info import ModelInfo
from bilstm_lab.core.spec import MergeMode, ModelSpec

if TYPE_CHECKING:
    import keras
    import pandas

__all__ = [
    "BidirectionalModel",
    "ConversionSummary",
    "ModelComparison",
    "ModelSummary",
    "compare",
    "inspect_model",
    "to_bidirectional",
]


def _frame(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> pandas.DataFrame:
    import pandas  # only when asked for: `import bilstm_lab` stays light

    return pandas.DataFrame([list(row) for row in rows], columns=list(columns))


def _records_html(records: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Dict rows (``to_dict()`` of a layer) as an HTML table, ints with thousands separators."""
    cells = [[fmt(v) if isinstance(v, int) else str(v) for v in r.values()] for r in records]
    first = records[0].values() if records else ()
    numeric = {i for i, value in enumerate(first) if isinstance(value, int)}
    return html_table([list(columns), *cells], right_aligned=numeric)


class ModelComparison(Comparison):
    """Both variants of a spec side by side (what `compare` returns).

    A `bilstm_lab.core.analysis.Comparison` — ``.spec``, ``.uni``, ``.bi`` (each with
    ``.layers``, ``.total_params``, ``.torch_params``), ``.total_ratio``, ``.layer_ratios()`` —
    that displays itself as the CLI's ``summary`` does.
    """

    def rows(self) -> list[comparison_table.TableRow]:
        """The side-by-side rows: every layer, then the Keras and the PyTorch totals."""
        return comparison_table.table_rows(self)

    def to_frame(self) -> pandas.DataFrame:
        """The side-by-side table as a DataFrame (plain numbers; ``None`` where none exists)."""
        return _frame(comparison_table.header(self), [row.raw_cells() for row in self.rows()])

    def _repr_html_(self) -> str:
        return comparison_table.as_html(self)

    def __repr__(self) -> str:
        return comparison_table.as_text(self)


#: The columns of `ModelSummary`'s table (the keys of `LayerInfo.to_dict`).
_LAYER_COLUMNS = ("layer", "type", "output shape", "params")


class ModelSummary(ModelInfo):
    """A real model's layer table (what `inspect_model` returns).

    A `bilstm_lab.core.model_info.ModelInfo`: ``.total_params`` (Keras's ``count_params()``),
    ``.layers`` and ``.rows()`` (name, type, output shape(s) and parameters of every layer but
    the InputLayers), ``.recurrent`` and ``.bidirectional`` (the layer names each way converts).
    """

    def to_frame(self) -> pandas.DataFrame:
        """One row per layer: layer, type, output shape, params."""
        rows = self.rows()
        return _frame(_LAYER_COLUMNS, [list(row.values()) for row in rows])

    def _repr_html_(self) -> str:
        table = _records_html(self.rows(), _LAYER_COLUMNS)
        return (
            f"<div><p>model {html.escape(repr(self.name))}</p>{table}"
            f"<p>total params: {fmt(self.total_params)}</p></div>"
        )

    def __repr__(self) -> str:
        return self.to_text()


@dataclasses.dataclass(frozen=True)
class ConversionSummary(ConversionReport):
    """What `to_bidirectional` did to each layer, and the check of the saved result.

    A `bilstm_lab.core.conversion.ConversionReport` — ``.rows`` (one `LayerChange` per layer),
    ``.params_before``, ``.params_after``, ``.retrain_layers`` (with new weights; the
    ``.backward_fresh_layers`` among them new in their backward half only) — plus ``.check``:
    the converted model was saved, loaded back with ``safe_mode=True`` and run on a batch.
    """

    # Keyword-only: it follows the report's own fields, whatever defaults they have.
    check: ConversionCheck = dataclasses.field(kw_only=True)

    @classmethod
    def of(cls, report: ConversionReport, check: ConversionCheck) -> ConversionSummary:
        """The summary of ``report`` with its ``check``."""
        values = {field.name: getattr(report, field.name) for field in dataclasses.fields(report)}
        return cls(**values, check=check)

    @property
    def check_text(self) -> str:
        """The check in words: saved (size), loaded back and run, and what was compared."""
        return "\n".join(self.check.lines())

    def to_frame(self) -> pandas.DataFrame:
        """One row per layer: names, types, output shapes and parameters before and after."""
        records = [row.to_dict() for row in self.rows]
        return _frame(list(records[0]), [list(record.values()) for record in records])

    def _repr_html_(self) -> str:
        records = [row.to_dict() for row in self.rows]
        notes = list(self.check.lines())
        retrain = self.retrain_note()
        if retrain:
            notes.append(retrain)
        paragraphs = "".join(f"<p>{html.escape(note)}</p>" for note in notes)
        totals = f"params: {fmt(self.params_before)} → {fmt(self.params_after)}"
        return (
            f"<div>{_records_html(records, list(records[0]))}"
            f"<p>{html.escape(totals)}</p>{paragraphs}</div>"
        )

    def __repr__(self) -> str:
        return f"{self.to_text()}\n{self.check_text}"


class BidirectionalModel(NamedTuple):
    """What `to_bidirectional` returns: ``model, report = to_bidirectional(...)``.

    Attributes:
        model: the converted model, exactly as it was loaded back from its saved ``.keras``
            bytes and run (``model.save(...)`` writes those bytes again).
        report: what happened to each layer, and that check.
    """

    model: keras.Model
    report: ConversionSummary

    def _repr_html_(self) -> str:
        return self.report._repr_html_()


def compare(spec: ModelSpec | str | None = None, **fields: Any) -> ModelComparison:
    """Shapes and parameter counts of a model's LSTM and BiLSTM variants, side by side.

    Pure Python (no TensorFlow), and exactly what real Keras reports.

    Args:
        spec: a `ModelSpec`, or a preset's key (see ``bilstm-lab presets``), to start from;
            the default model when left out.
        **fields: the CLI's ``summary`` flags as keywords: ``cell``, ``units`` (an int or a
            tuple, one entry per layer), ``merge_mode``, ``return_sequences``,
            ``return_state``, ``seq_len``, ``features`` or ``vocab``/``embedding_dim``,
            ``batch``, ``dense``, ``dense_activation``, ``preset``. ``None`` means "none"
            (``dense=None``: no Dense head; ``batch=None``: any batch size).

    Returns:
        The comparison: ``.uni`` and ``.bi`` (per-layer rows, totals), ratios, ``to_frame()``.

    Raises:
        SpecError: naming the field, for an unknown field, a bad value or an impossible model.
    """
    preset = fields.pop("preset", None)
    if isinstance(spec, str):
        if preset is not None:
            raise SpecError("preset", f"give the preset once, received {spec!r} and {preset!r}")
        spec, preset = None, spec
    elif spec is not None and not isinstance(spec, ModelSpec):
        raise SpecError(
            "spec", f"spec must be a ModelSpec or a preset key, received {type(spec).__name__}"
        )
    result = _analyse(spec_from_settings(fields, preset=preset, base=spec))
    return ModelComparison(result.spec, result.uni, result.bi)


def _model(model_or_path: Any) -> keras.Model:
    """The model itself, or the one loaded (with the upload checks, ``safe_mode=True``) from a path."""
    if isinstance(model_or_path, (str, os.PathLike)):
        from bilstm_lab.models.model_io import load_model_file

        return load_model_file(model_or_path)
    import keras

    if not isinstance(model_or_path, keras.Model):
        raise NotAModel(
            "model",
            "model must be a Keras model or the path of a .keras file, "
            f"received {type(model_or_path).__name__}",
        )
    return model_or_path


def inspect_model(model_or_path: keras.Model | str | os.PathLike[str]) -> ModelSummary:
    """The layer table of a Keras model in memory or on disk (torchinfo's one-call habit).

    Args:
        model_or_path: a built Keras model (Sequential, Functional or subclassed), or the path
            of a ``.keras`` file (loaded as the lab loads an upload: size-checked,
            ``safe_mode=True``, with at least one recurrent layer).

    Returns:
        ``.total_params``, per-layer ``.rows()``, ``to_frame()``, and an HTML table in Jupyter.

    Raises:
        NotAModel: for something that is not a Keras model, or a model not built yet.
        UploadError: for a file that is missing or cannot be loaded.
    """
    model = _model(model_or_path)
    if not model.built:
        raise NotAModel(
            "model",
            "model is not built yet, so it has no shapes or weights to count: give it a "
            f"keras.Input or call it on data first, received model {model.name!r}",
        )
    from bilstm_lab.models.introspect import model_info

    info = model_info(model)
    values = {field.name: getattr(info, field.name) for field in dataclasses.fields(info)}
    return ModelSummary(**values)


def to_bidirectional(
    model: keras.Model | str | os.PathLike[str],
    layers: Sequence[str] | str | None = None,
    merge_mode: MergeMode | str | None = "concat",
    warm_start: bool = True,
    *,
    seed: int = 0,
) -> BidirectionalModel:
    """Wrap a model's recurrent layers in ``Bidirectional``, checked as the CLI's ``convert``.

    The converted model is saved to ``.keras`` bytes, loaded back with ``safe_mode=True`` and
    run on a batch before it is returned; a model that cannot be converted correctly is
    refused with the reason, never returned broken.

    Args:
        model: a built Sequential or Functional Keras model (left untouched), or a ``.keras``
            file's path.
        layers: names of the LSTM/GRU/SimpleRNN layers to wrap (one name or several); all of
            them when left out.
        merge_mode: ``"concat"``, ``"sum"``, ``"mul"``, ``"ave"`` or ``None``/``"none"``.
        warm_start: start each forward direction from the original layer's weights.
        seed: base seed of every freshly initialised weight (same seed, same model).

    Returns:
        ``(model, report)``: the checked model, and what happened to each layer's weights.

    Raises:
        ConversionError: for what the conversion refuses (the message says why).
        NotAModel, UploadError: for something that is not a usable model or model file.
    """
    from bilstm_lab.models.convert import convert_and_check

    chosen = [layers] if isinstance(layers, str) else layers
    mode = MergeMode.NONE if merge_mode is None else merge_mode  # Keras's spelling of "none"
    checked = convert_and_check(_model(model), Direction.WRAP, chosen, mode, warm_start, seed)
    report = ConversionSummary.of(checked.conversion.report, checked.check)
    return BidirectionalModel(checked.reloaded, report)
