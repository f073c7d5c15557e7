"""One frozen object that describes a model, its validation, and its URL/JSON round trip.

Everything in the lab (widgets, query parameters, the CLI, presets) produces a `ModelSpec`;
everything downstream (analysis, diagrams, code generation, the Keras builder) consumes one.
This module is pure Python: it must never import TensorFlow or Streamlit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from typing import Any

from bilstm_lab.core.errors import SpecError, check_number


class Cell(StrEnum):
    """Recurrent cell type; the value is the short name used in URLs and the CLI."""

    LSTM = "lstm"
    GRU = "gru"
    RNN = "rnn"

    @property
    def keras_name(self) -> str:
        """The Keras layer class name (``LSTM``, ``GRU``, ``SimpleRNN``)."""
        return {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}[self.value]

    def variant_name(self, bidirectional: bool) -> str:
        """The name of a variant: ``LSTM`` or ``BiLSTM`` (``GRU``/``BiGRU``,
        ``SimpleRNN``/``BiSimpleRNN``); every label that names a variant comes from here."""
        return ("Bi" if bidirectional else "") + self.keras_name

    @property
    def torch_name(self) -> str:
        """The PyTorch module name (``LSTM``, ``GRU``, ``RNN``)."""
        return {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[self.value]

    @property
    def gates(self) -> int:
        """How many weight blocks the cell stacks in its kernels (gates, plus the candidate)."""
        return {"lstm": 4, "gru": 3, "rnn": 1}[self.value]

    @property
    def has_reset_after(self) -> bool:
        """Whether the Keras layer takes ``reset_after`` (GRU only)."""
        return self is Cell.GRU

    @property
    def state_names(self) -> tuple[str, ...]:
        """The states one direction returns with ``return_state=True``."""
        return ("h", "c") if self is Cell.LSTM else ("h",)


class MergeMode(StrEnum):
    """How `Bidirectional` combines the forward and backward outputs."""

    CONCAT = "concat"
    SUM = "sum"
    MUL = "mul"
    AVE = "ave"
    NONE = "none"

    @property
    def keras_value(self) -> str | None:
        """The value Keras's `merge_mode` argument takes (``None`` for `NONE`)."""
        return None if self is MergeMode.NONE else self.value

    @property
    def width_factor(self) -> int:
        """Output width of the merged tensor as a multiple of the layer's units."""
        return 2 if self is MergeMode.CONCAT else 1


#: Activations offered for the Dense head ("linear" means no activation).
ACTIVATIONS: tuple[str, ...] = ("linear", "softmax", "sigmoid", "relu", "tanh")

#: Inclusive bounds of every numeric field. They are enforced here, on the server side,
#: because URLs and the CLI bypass the widgets.
LIMITS: dict[str, tuple[int, int]] = {
    "units": (1, 4096),
    "layers": (1, 6),
    "seq_len": (1, 5000),
    "features": (1, 4096),
    "vocab": (2, 200_000),
    "embedding_dim": (1, 1024),
    "dense": (1, 10_000),
    "batch": (1, 65_536),
}


def check_seq_len(value: Any) -> int | None:
    """Check a sequence length: a whole number inside ``LIMITS["seq_len"]``, or ``None``.

    ``None`` is a variable length, as in ``keras.Input(shape=(None, d))``.

    Raises:
        SpecError: when the value is neither ``None`` nor a whole number inside the bounds.
    """
    return None if value is None else check_range("seq_len", value)


def check_range(field_name: str, value: Any, limit_name: str | None = None) -> int:
    """Check that ``value`` is an int inside the bounds of ``LIMITS[limit_name or field_name]``.

    Args:
        field_name: the name used in the error message.
        value: the value to check.
        limit_name: the key of `LIMITS` to use when it differs from ``field_name``.

    Returns:
        The value, unchanged.

    Raises:
        SpecError: when the value is not an int or lies outside the bounds.
    """
    low, high = LIMITS[limit_name or field_name]
    return check_number(field_name, value, low, high, error=SpecError)


@dataclass(frozen=True)
class FeatureInput:
    """Float features: the model's input is ``(batch, seq_len, features)``.

    ``seq_len=None`` is a variable length (any number of steps).
    """

    seq_len: int | None = 10
    features: int = 100

    def __post_init__(self) -> None:
        check_seq_len(self.seq_len)
        check_range("features", self.features)

    @property
    def kind(self) -> str:
        """``"features"``."""
        return "features"

    @property
    def width(self) -> int:
        """The width the first recurrent layer sees."""
        return self.features


@dataclass(frozen=True)
class TokenInput:
    """Token ids through an Embedding: input ``(batch, seq_len)``, embedded to ``embedding_dim``.

    ``seq_len=None`` is a variable length (any number of steps).
    """

    seq_len: int | None = 20
    vocab: int = 10_000
    embedding_dim: int = 128

    def __post_init__(self) -> None:
        check_seq_len(self.seq_len)
        check_range("vocab", self.vocab)
        check_range("embedding_dim", self.embedding_dim)

    @property
    def kind(self) -> str:
        """``"tokens"``."""
        return "tokens"

    @property
    def width(self) -> int:
        """The width the first recurrent layer sees (the embedding size)."""
        return self.embedding_dim


InputSpec = FeatureInput | TokenInput


@dataclass(frozen=True)
class DenseHead:
    """An optional Dense layer after the recurrent stack (applied per step on a sequence)."""

    units: int = 10
    activation: str = "softmax"

    def __post_init__(self) -> None:
        check_range("dense", self.units)
        if self.activation not in ACTIVATIONS:
            raise SpecError(
                "dense_activation",
                f"dense_activation must be one of {', '.join(ACTIVATIONS)}, "
                f"received {self.activation!r}",
            )


@dataclass(frozen=True)
class ModelSpec:
    """A recurrent model, described once for both its unidirectional and bidirectional variant.

    Attributes:
        cell: the recurrent cell of every recurrent layer.
        units: units per recurrent layer, bottom first; the stacking depth is ``len(units)``.
        return_sequences: whether the *last* recurrent layer returns the whole sequence.
            Lower layers always return sequences, because the next layer needs a time axis.
        merge_mode: how the bidirectional variant merges its two directions.
        return_state: whether the last recurrent layer also returns its final states.
        use_bias: whether every recurrent cell has bias vectors (Keras's ``use_bias``).
        reset_after: GRU only: Keras's ``reset_after`` (``True``, the default, applies the
            reset gate after the recurrent kernel and keeps two bias vectors; ``False``
            applies it before and keeps one). Must stay ``True`` for the other cells.
        input: float features or token ids.
        head: an optional Dense head.
        batch_size: a fixed batch size, or ``None`` for "any".
    """

    cell: Cell = Cell.LSTM
    units: tuple[int, ...] = (64,)
    return_sequences: bool = True
    merge_mode: MergeMode = MergeMode.CONCAT
    return_state: bool = False
    use_bias: bool = True
    reset_after: bool = True
    input: InputSpec = field(default_factory=FeatureInput)
    head: DenseHead | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        # Accept plain strings for the enums so callers can write ModelSpec(cell="gru").
        object.__setattr__(self, "cell", _enum_field("cell", Cell, self.cell))
        object.__setattr__(
            self, "merge_mode", _enum_field("merge_mode", MergeMode, self.merge_mode)
        )
        if isinstance(self.units, int) and not isinstance(self.units, bool):
            object.__setattr__(self, "units", (self.units,))
        if not isinstance(self.units, (tuple, list)):
            raise SpecError(
                "units", f"units must be a list of whole numbers, received {self.units!r}"
            )
        object.__setattr__(self, "units", tuple(self.units))
        check_range("layers", len(self.units))
        for value in self.units:
            check_range("units", value)
        for flag in ("return_sequences", "return_state", "use_bias", "reset_after"):
            if not isinstance(getattr(self, flag), bool):
                raise SpecError(
                    flag, f"{flag} must be true or false, received {getattr(self, flag)!r}"
                )
        if not isinstance(self.input, (FeatureInput, TokenInput)):
            raise SpecError("input", f"input must be features or tokens, received {self.input!r}")
        if self.head is not None and not isinstance(self.head, DenseHead):
            raise SpecError("dense", f"dense must be a Dense head or none, received {self.head!r}")
        if self.batch_size is not None:
            check_range("batch", self.batch_size)
        self._check_combination()

    def _check_combination(self) -> None:
        if not self.reset_after and not self.cell.has_reset_after:
            raise SpecError(
                "reset_after",
                "reset_after only exists on GRU (it says where the reset gate is applied); "
                f"{self.cell.keras_name} has no such option, received reset_after false with "
                f"cell {self.cell.value}",
            )
        # Merge mode None hands the next layer two tensors; nothing downstream takes a pair.
        if self.merge_mode is MergeMode.NONE and self.depth > 1:
            raise SpecError(
                "merge_mode",
                "merge_mode none returns two separate tensors (forward, backward), so it only "
                "works on a single recurrent layer: a stacked layer needs one input tensor, "
                f"received merge_mode none with {self.depth} layers",
            )
        if self.merge_mode is MergeMode.NONE and self.head is not None:
            raise SpecError(
                "merge_mode",
                "merge_mode none returns two separate tensors (forward, backward), so it cannot "
                "feed a Dense head: choose concat, sum, mul or ave, or remove the head, "
                f"received merge_mode none with a Dense({self.head.units}) head",
            )

    @property
    def depth(self) -> int:
        """Stacking depth: the number of recurrent layers."""
        return len(self.units)

    @property
    def cell_options(self) -> dict[str, bool]:
        """The cell's constructor options that differ from Keras's defaults.

        The one mapping from spec fields to Keras arguments (``use_bias``, ``reset_after``):
        the builder passes it, the generated code writes it out.
        """
        options: dict[str, bool] = {}
        if not self.use_bias:
            options["use_bias"] = False
        if self.cell.has_reset_after and not self.reset_after:
            options["reset_after"] = False
        return options

    def layer_returns_sequences(self, index: int) -> bool:
        """Whether recurrent layer ``index`` (0-based) returns the whole sequence."""
        return self.return_sequences if index == self.depth - 1 else True

    def to_query(self) -> dict[str, str]:
        """The spec as a dict of strings, for URL query parameters (inverse of `from_query`)."""
        query = {
            "cell": self.cell.value,
            "units": ",".join(str(u) for u in self.units),
            "return_sequences": _bool_text(self.return_sequences),
            "merge_mode": self.merge_mode.value,
            "return_state": _bool_text(self.return_state),
            "use_bias": _bool_text(self.use_bias),
            "input": self.input.kind,
            "seq_len": _optional_int_text(self.input.seq_len),
            "batch": _optional_int_text(self.batch_size),
            "dense": "none" if self.head is None else str(self.head.units),
        }
        if self.cell.has_reset_after:
            query["reset_after"] = _bool_text(self.reset_after)
        if isinstance(self.input, FeatureInput):
            query["features"] = str(self.input.features)
        else:
            query["vocab"] = str(self.input.vocab)
            query["embedding_dim"] = str(self.input.embedding_dim)
        if self.head is not None:
            query["dense_activation"] = self.head.activation
        return query

    def to_json(self) -> str:
        """The spec as JSON text (inverse of `from_json`)."""
        return json.dumps(self.to_query(), sort_keys=True)

    def with_changes(self, **changes: Any) -> ModelSpec:
        """A copy with some fields replaced (validated like any new spec)."""
        return replace(self, **changes)


def _enum_field(field_name: str, enum_type: type[Enum], value: Any) -> Any:
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum_type)
        raise SpecError(
            field_name, f"{field_name} must be one of {choices}, received {value!r}"
        ) from None


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def _optional_int_text(value: int | None) -> str:
    return "none" if value is None else str(value)


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")
_TRUE_WORDS = {"true", "1", "yes", "on"}
_FALSE_WORDS = {"false", "0", "no", "off"}


def parse_bool(field_name: str, text: str) -> bool:
    """Parse ``true/false`` (also ``1/0``, ``yes/no``, ``on/off``).

    Raises:
        SpecError: for any other text.
    """
    word = str(text).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SpecError(field_name, f"{field_name} must be true or false, received {text!r}")


def parse_int(field_name: str, text: str, limit_name: str | None = None) -> int:
    """Parse a whole number and check it against `LIMITS`.

    Raises:
        SpecError: when the text is not a whole number or lies outside the bounds.
    """
    stripped = str(text).strip()
    # ASCII digits only: str.isdigit() also accepts "²", which int() then rejects.
    if not _WHOLE_NUMBER.fullmatch(stripped):
        raise SpecError(field_name, f"{field_name} must be a whole number, received {text!r}")
    return check_range(field_name, int(stripped), limit_name)


def parse_units(text: str) -> tuple[int, ...]:
    """Parse ``"64,32"`` into ``(64, 32)`` (one entry per recurrent layer).

    Raises:
        SpecError: for an empty list, a bad number, or too many layers.
    """
    parts = [part.strip() for part in str(text).split(",")]
    if not parts or any(part == "" for part in parts):
        raise SpecError(
            "units", f"units must be a comma-separated list such as 64,32, received {text!r}"
        )
    check_range("layers", len(parts))
    return tuple(parse_int("units", part) for part in parts)


def parse_optional_int(field_name: str, text: str, limit_name: str | None = None) -> int | None:
    """Parse a whole number, or ``none``/empty for no value."""
    if str(text).strip().lower() in {"", "none", "null"}:
        return None
    return parse_int(field_name, text, limit_name)


#: The model the lab opens with: the TensorFlow article's first example, minus its batch.
DEFAULT_SPEC = ModelSpec()


def _parse_input_kind(text: str) -> str:
    kind = str(text).strip().lower()
    if kind not in ("features", "tokens"):
        raise SpecError("input", f"input must be one of features, tokens, received {text!r}")
    return kind


def _parse_activation(text: str) -> str:
    activation = str(text).strip().lower()
    if activation not in ACTIVATIONS:
        raise SpecError(
            "dense_activation",
            f"dense_activation must be one of {', '.join(ACTIVATIONS)}, received {text!r}",
        )
    return activation


#: One parser per string field; each raises `SpecError` naming its field.
FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "cell": lambda text: _enum_field("cell", Cell, text),
    "units": parse_units,
    "return_sequences": lambda text: parse_bool("return_sequences", text),
    "merge_mode": lambda text: _enum_field("merge_mode", MergeMode, text),
    "return_state": lambda text: parse_bool("return_state", text),
    "use_bias": lambda text: parse_bool("use_bias", text),
    "reset_after": lambda text: parse_bool("reset_after", text),
    "input": _parse_input_kind,
    "seq_len": lambda text: parse_optional_int("seq_len", text),
    "features": lambda text: parse_int("features", text),
    "vocab": lambda text: parse_int("vocab", text),
    "embedding_dim": lambda text: parse_int("embedding_dim", text),
    "dense": lambda text: parse_optional_int("dense", text),
    "dense_activation": _parse_activation,
    "batch": lambda text: parse_optional_int("batch", text),
}
QUERY_KEYS: tuple[str, ...] = tuple(FIELD_PARSERS)


def spec_from_fields(fields: dict[str, str], default: ModelSpec | None = None) -> ModelSpec:
    """Build a spec from string fields, strictly: any bad field raises.

    Args:
        fields: string values keyed by `QUERY_KEYS`.
        default: the spec whose values fill in missing fields (`DEFAULT_SPEC` if omitted).

    Returns:
        The validated spec.

    Raises:
        SpecError: naming the first bad field, or the combination that cannot work.
    """
    unknown = sorted(set(fields) - set(QUERY_KEYS))
    if unknown:
        raise SpecError(
            unknown[0], f"unknown field {unknown[0]!r}, received {fields[unknown[0]]!r}"
        )
    base = _all_fields(default or DEFAULT_SPEC)
    values = {key: FIELD_PARSERS[key](fields.get(key, base[key])) for key in QUERY_KEYS}
    if "reset_after" not in fields and not values["cell"].has_reset_after:
        # A GRU default's reset_after is no choice of a cell that has none: only a value
        # given for this spec may be refused.
        values["reset_after"] = True
    input_spec: InputSpec
    if values["input"] == "features":
        input_spec = FeatureInput(values["seq_len"], values["features"])
    else:
        input_spec = TokenInput(values["seq_len"], values["vocab"], values["embedding_dim"])
    head = (
        None if values["dense"] is None else DenseHead(values["dense"], values["dense_activation"])
    )
    return ModelSpec(
        cell=values["cell"],
        units=values["units"],
        return_sequences=values["return_sequences"],
        merge_mode=values["merge_mode"],
        return_state=values["return_state"],
        use_bias=values["use_bias"],
        reset_after=values["reset_after"],
        input=input_spec,
        head=head,
        batch_size=values["batch"],
    )


def _all_fields(spec: ModelSpec) -> dict[str, str]:
    # to_query() leaves out the fields the spec does not use; fill them from the default
    # input/head so that switching input kind or adding a head has sensible values.
    return {
        "features": str(FeatureInput().features),
        "vocab": str(TokenInput().vocab),
        "embedding_dim": str(TokenInput().embedding_dim),
        "dense_activation": DenseHead().activation,
        "reset_after": _bool_text(ModelSpec.reset_after),
        **spec.to_query(),
    }


def from_query(
    params: Mapping[str, Any], default: ModelSpec = DEFAULT_SPEC
) -> tuple[ModelSpec, list[str]]:
    """Read a spec from URL query parameters, forgivingly.

    Unknown keys are ignored and every bad value falls back to the default's value; each
    fallback adds a warning. If the surviving values still do not combine into a valid model
    (e.g. merge mode none with a Dense head), the whole spec falls back to ``default``.

    Args:
        params: query parameters; a value may be a string or a list of strings (last one wins).
        default: the spec whose values fill in for missing or bad ones.

    Returns:
        The spec and a list of human-readable warnings (empty when the URL was clean).
    """
    warnings: list[str] = []
    good: dict[str, str] = {}
    base = _all_fields(default)
    for key, raw in params.items():
        value = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
        if key not in FIELD_PARSERS:
            warnings.append(f"ignored unknown URL parameter {str(key)[:40]!r}")
            continue
        text = str(value)[:200]
        try:
            FIELD_PARSERS[key](text)
        except SpecError as error:
            warnings.append(f"{error}; using {base[key]!r} instead")
            continue
        good[key] = text
    try:
        return spec_from_fields(good, default), warnings
    except SpecError as error:
        warnings.append(f"{error}; showing the default model instead")
        return default, warnings


def from_json(text: str) -> ModelSpec:
    """Read a spec from JSON text written by `ModelSpec.to_json`, strictly.

    Args:
        text: a JSON object of string fields.

    Returns:
        The validated spec.

    Raises:
        SpecError: for malformed JSON, a non-object, or any bad field.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError, RecursionError):
        raise SpecError("json", f"spec JSON is malformed, received {str(text)[:60]!r}") from None
    if not isinstance(data, dict):
        raise SpecError("json", f"spec JSON must be an object, received {str(text)[:60]!r}")
    return spec_from_fields({str(k): "none" if v is None else str(v) for k, v in data.items()})
