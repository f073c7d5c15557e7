"""Spec fields set by name — the CLI's flags and the notebook API's keywords — to a `ModelSpec`.

One mapping for both front ends: ``--seq-len 20`` and ``compare(seq_len=20)`` reach the spec
through `spec_from_settings`, which turns each value into the string field `spec_from_fields`
parses, so every value is checked (and every message worded) the way a URL's is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from bilstm_lab.core.errors import SpecError
from bilstm_lab.core.presets import get_preset
from bilstm_lab.core.spec import DEFAULT_SPEC, QUERY_KEYS, ModelSpec, spec_from_fields

#: The spec's string field that no one sets by name: which input the model reads follows from
#: the input fields given (``features``, or ``vocab``/``embedding_dim``).
_DERIVED = "input"
#: The fields a front end sets by name: a CLI flag ``--seq-len`` is the field ``seq_len``.
SETTABLE_FIELDS: tuple[str, ...] = tuple(key for key in QUERY_KEYS if key != _DERIVED)
_TOKEN_FIELDS = ("vocab", "embedding_dim")


def field_text(value: Any) -> str:
    """A Python value as the string a spec field parses.

    ``True`` -> ``"true"``, ``None`` -> ``"none"``, ``(64, 32)`` -> ``"64,32"``, an enum ->
    its value; anything else as ``str()`` (the field's parser then names what is wrong).
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ",".join(field_text(item) for item in value)
    return str(value)


def _input_kind(given: Mapping[str, Any]) -> str | None:
    """``features`` or ``tokens`` when the given fields say which input; ``None`` otherwise."""
    tokens = [name for name in _TOKEN_FIELDS if name in given]
    if "features" in given and tokens:
        raise SpecError(
            "features",
            f"features (float input) and {' and '.join(tokens)} (token input) describe different "
            f"inputs: give one kind, received features {given['features']!r} and "
            f"{tokens[0]} {given[tokens[0]]!r}",
        )
    if "features" in given:
        return "features"
    return "tokens" if tokens else None


def spec_from_settings(
    given: Mapping[str, Any], preset: str | None = None, base: ModelSpec | None = None
) -> ModelSpec:
    """The spec that ``given`` fields describe on top of a preset, a spec or the default.

    Args:
        given: values keyed by `SETTABLE_FIELDS` — only the fields the user set (a CLI flag
            left out is absent, not ``None``; ``None`` means "none", e.g. no Dense head).
        preset: a preset key to start from.
        base: a spec to start from (instead of a preset).

    Returns:
        The validated spec.

    Raises:
        SpecError: for an unknown field or preset, a bad value or an impossible combination,
            naming the field.
    """
    unknown = [name for name in given if name not in SETTABLE_FIELDS]
    if unknown:
        raise SpecError(
            unknown[0],
            f"{unknown[0]} is not a model field (the fields are {', '.join(SETTABLE_FIELDS)}), "
            f"received {unknown[0]}={given[unknown[0]]!r}",
        )
    if preset is not None and base is not None:
        raise SpecError(
            "preset", f"give a preset or a spec to start from, not both, received preset {preset!r}"
        )
    start = get_preset(preset).spec if preset is not None else base or DEFAULT_SPEC
    if "dense_activation" in given and "dense" not in given and start.head is None:
        raise SpecError(
            "dense_activation",
            "dense_activation needs dense (the units of a Dense head): the model has no Dense "
            f"head, received dense_activation {given['dense_activation']!r}",
        )
    fields = {name: field_text(value) for name, value in given.items()}
    kind = _input_kind(given)
    if kind is not None:
        fields[_DERIVED] = kind
    return spec_from_fields(fields, default=start)
