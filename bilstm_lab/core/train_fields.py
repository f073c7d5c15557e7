"""A training run's settings as named string fields: the Training Lab's URL, its widgets and
``bilstm_lab train``'s flags, through one mapping.

Every setting a user can change is a `TrainField`: its name is the URL key
(``?task=reversal&seq_len=8``), the widget key's suffix and, with dashes, the CLI flag
(``--seq-len 8``). Values start from the task's defaults (`default_config`), so a URL or a
command line names only what differs. Strict parsing (`config_from_fields`) raises a `TaskError`
naming the field; forgiving parsing (`config_from_query`, for links) falls back per field and
says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bilstm_lab.core.errors import TaskError, check_number
from bilstm_lab.core.spec import Cell
from bilstm_lab.core.tasks import DEFAULT_TASK, TASKS, TaskParams
from bilstm_lab.core.train_config import TrainConfig, default_config

#: The task's knobs (`TaskParams`); the other fields are `TrainConfig` fields.
_PARAM_FIELDS = ("seq_len", "k", "vocab")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _parse_int(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return int(str(text).strip())
        except ValueError:
            raise TaskError(name, f"{name} must be a whole number, received {text!r}") from None

    return parse


def _parse_float(name: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return float(str(text).strip())
        except ValueError:
            raise TaskError(name, f"{name} must be a number, received {text!r}") from None

    return parse


def _parse_bool(name: str) -> Callable[[str], bool]:
    def parse(text: str) -> bool:
        word = str(text).strip().lower()
        if word not in _TRUE + _FALSE:
            raise TaskError(name, f"{name} must be true or false, received {text!r}")
        return word in _TRUE

    return parse


def _parse_choice(name: str, options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        word = str(text).strip().lower()
        if word not in options:
            raise TaskError(name, f"{name} must be one of {', '.join(options)}, received {text!r}")
        return word

    return parse


@dataclass(frozen=True)
class TrainField:
    """One setting of a training run that a user can change.

    Attributes:
        name: the URL key and the field of `TrainConfig` (or `TaskParams`); the CLI flag is
            ``--`` + the name with dashes.
        parse: text -> value, raising a `TaskError` that names the field.
        page: the Training Lab's widget range ``(low, high)``, or its options; a link may
            hold only values the page can show. The CLI accepts the wider `TRAIN_LIMITS`.
        help: what the setting is, for the CLI's ``--help``.
    """

    name: str
    parse: Callable[[str], Any]
    page: tuple[Any, ...]
    help: str

    @property
    def flag(self) -> str:
        """The CLI flag: ``--seq-len``."""
        return "--" + self.name.replace("_", "-")

    @property
    def is_range(self) -> bool:
        """Whether `page` is a numeric ``(low, high)`` range (else a tuple of options)."""
        return self.name not in _OPTION_FIELDS


#: Fields whose `TrainField.page` lists the options (the others give a range).
_OPTION_FIELDS = ("task", "cell", "samples", "units", "learning_rate", "match_params")

FIELDS: dict[str, TrainField] = {
    field.name: field
    for field in (
        TrainField("task", _parse_choice("task", tuple(TASKS)), tuple(TASKS), "the toy task"),
        TrainField(
            "cell",
            _parse_choice("cell", tuple(c.value for c in Cell)),
            tuple(c.value for c in Cell),
            "recurrent cell: lstm, gru or rnn",
        ),
        TrainField("seq_len", _parse_int("seq_len"), (4, 48), "time steps per sequence (T)"),
        TrainField("k", _parse_int("k"), (1, 12), "offset of look-ahead / look-behind"),
        TrainField("vocab", _parse_int("vocab"), (2, 20), "distinct content tokens"),
        TrainField(
            "samples",
            _parse_int("samples"),
            (200, 500, 1000, 1500, 2000, 3000, 5000, 10_000),
            "training sequences",
        ),
        TrainField("epochs", _parse_int("epochs"), (1, 40), "passes over the training data"),
        TrainField(
            "units",
            _parse_int("units"),
            (4, 8, 16, 32, 64, 128),
            "units per direction of each layer",
        ),
        TrainField(
            "learning_rate",
            _parse_float("learning_rate"),
            (0.001, 0.003, 0.01, 0.02, 0.03, 0.05),
            "Adam's learning rate",
        ),
        TrainField("seed", _parse_int("seed"), (0, 2**31 - 1), "seeds data and initial weights"),
        TrainField(
            "target_delay",
            _parse_int("target_delay"),
            (0, 12),
            "the LSTM answers d steps late (per-step tasks)",
        ),
        TrainField(
            "match_params",
            _parse_bool("match_params"),
            (False, True),
            "widen the LSTM to the BiLSTM's parameter count",
        ),
    )
}

#: The page's display flags: they change how it looks, not the run.
PAGE_FLAGS = ("lock", "present")
#: The marker a page that started a training keeps in its URL (`bilstm_lab.ui.restart_marker`).
JOB_MARKER = "job"
#: Keys a Training Lab link may carry that are not settings.
NOT_SETTINGS = (*PAGE_FLAGS, JOB_MARKER)


def config_values(config: TrainConfig) -> dict[str, Any]:
    """Every field's value in ``config`` (typed: ints, floats, bools, strings)."""
    params = config.params
    return {name: getattr(params if name in _PARAM_FIELDS else config, name) for name in FIELDS}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def config_query(config: TrainConfig) -> dict[str, str]:
    """The URL query of ``config``: every field the task uses, as text, the task first."""
    task = config.task_obj
    unused = {"k"} if not task.uses_k else set()
    if not task.per_step:
        unused.add("target_delay")
    return {
        name: _text(value) for name, value in config_values(config).items() if name not in unused
    }


def config_from_fields(fields: Mapping[str, Any]) -> TrainConfig:
    """The run ``fields`` describe: the task's defaults with each given field applied, strictly.

    Args:
        fields: values keyed by field name (text, as in a URL, or already typed); ``task``
            picks whose defaults the others change (`DEFAULT_TASK` when absent).

    Returns:
        The validated run.

    Raises:
        TaskError: for an unknown field, a bad value or an impossible combination, naming the
            field.
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise TaskError(
            unknown[0],
            f"{unknown[0]} is not a training setting (the settings are {', '.join(FIELDS)}), "
            f"received {fields[unknown[0]]!r}",
        )
    values = {name: _typed(name, value) for name, value in fields.items()}
    base = default_config(values.pop("task", DEFAULT_TASK))
    params = {name: values.pop(name, getattr(base.params, name)) for name in _PARAM_FIELDS}
    changes: dict[str, Any] = {"params": TaskParams(**params)}
    changes.update(values)
    if "samples" in values:  # a smaller training set takes smaller batches, never a ragged one
        changes["batch_size"] = min(base.batch_size, values["samples"])
    return base.with_changes(**changes)


def _typed(name: str, value: Any) -> Any:
    """A field's value: parsed from text, or checked to be of the field's kind."""
    if isinstance(value, str):
        return FIELDS[name].parse(value)
    return value  # typed values are checked by TaskParams and TrainConfig themselves


def check_page_value(name: str, value: Any) -> None:
    """Check that the Training Lab's widget can show ``value`` (a link's value).

    Raises:
        TaskError: naming the field and the range (or the options) the page offers.
    """
    field = FIELDS[name]
    if field.is_range:
        low, high = field.page
        check_number(name, value, low, high, error=TaskError)
    elif value not in field.page:
        options = ", ".join(_text(option) for option in field.page)
        raise TaskError(name, f"{name} must be one of {options}, received {_text(value)}")


def config_from_query(params: Mapping[str, Any]) -> tuple[TrainConfig, list[str]]:
    """The run a link describes, forgivingly: a bad value falls back to the task's default.

    Args:
        params: URL query parameters; a value may be a string or a list of strings (the last
            one wins). Keys that are not settings (`NOT_SETTINGS`) are skipped.

    Returns:
        The run, and one warning per value that could not be used (empty for a clean link).
        When the surviving values do not combine (``k`` not below ``seq_len``), the field the
        check names falls back too, with its own warning.
    """
    warnings: list[str] = []
    good: dict[str, Any] = {}
    for key, raw in params.items():
        text = str(raw[-1] if isinstance(raw, list | tuple) and raw else raw)[:200]
        if key in NOT_SETTINGS:
            continue
        if key not in FIELDS:
            warnings.append(f"ignored unknown setting {str(key)[:40]!r}")
            continue
        try:
            value = FIELDS[key].parse(text)
            check_page_value(key, value)
        except TaskError as error:
            warnings.append(f"{error}; using the task's default instead")
            continue
        good[key] = value
    while True:  # drop the values that do not combine, one at a time
        try:
            return config_from_fields(good), warnings
        except TaskError as error:
            warnings.append(f"{error}; using the task's default instead")
            if error.field == "task" or error.field not in good:
                return default_config(good.get("task", DEFAULT_TASK)), warnings
            del good[error.field]
