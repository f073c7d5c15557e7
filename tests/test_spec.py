"""Spec validation (every rule, with its message) and the URL/JSON round trips."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilstm_lab.core.spec import (
    DEFAULT_SPEC,
    FIELD_PARSERS,
    LIMITS,
    Cell,
    DenseHead,
    FeatureInput,
    ModelSpec,
    SpecError,
    TokenInput,
    from_json,
    from_query,
    spec_from_fields,
)
from tests.test_analysis import specs

# (constructor, field named in the error, text the message must contain)
INVALID = [
    (lambda: ModelSpec(units=(0,)), "units", "units must be between 1 and 4096, received 0"),
    (lambda: ModelSpec(units=(4097,)), "units", "units must be between 1 and 4096, received 4097"),
    (lambda: ModelSpec(units=(64, -1)), "units", "received -1"),
    (lambda: ModelSpec(units=()), "layers", "layers must be between 1 and 6, received 0"),
    (lambda: ModelSpec(units=(8,) * 7), "layers", "layers must be between 1 and 6, received 7"),
    (lambda: ModelSpec(units=(2.5,)), "units", "units must be a whole number, received 2.5"),
    (lambda: ModelSpec(units="64"), "units", "units must be a list of whole numbers"),
    (
        lambda: ModelSpec(cell="transformer"),
        "cell",
        "cell must be one of lstm, gru, rnn, received 'transformer'",
    ),
    (
        lambda: ModelSpec(merge_mode="max"),
        "merge_mode",
        "merge_mode must be one of concat, sum, mul, ave, none",
    ),
    (
        lambda: ModelSpec(return_sequences="yes"),
        "return_sequences",
        "return_sequences must be true or false",
    ),
    (lambda: ModelSpec(return_state=1), "return_state", "return_state must be true or false"),
    (lambda: ModelSpec(input="tokens"), "input", "input must be features or tokens"),
    (lambda: ModelSpec(head=10), "dense", "dense must be a Dense head or none"),
    (lambda: ModelSpec(batch_size=0), "batch", "batch must be between 1 and 65536, received 0"),
    (lambda: FeatureInput(seq_len=0), "seq_len", "seq_len must be between 1 and 5000, received 0"),
    (
        lambda: FeatureInput(features=5000),
        "features",
        "features must be between 1 and 4096, received 5000",
    ),
    (lambda: TokenInput(vocab=1), "vocab", "vocab must be between 2 and 200000, received 1"),
    (
        lambda: TokenInput(embedding_dim=0),
        "embedding_dim",
        "embedding_dim must be between 1 and 1024, received 0",
    ),
    (lambda: DenseHead(units=0), "dense", "dense must be between 1 and 10000, received 0"),
    (
        lambda: DenseHead(activation="gelu"),
        "dense_activation",
        "dense_activation must be one of linear, softmax",
    ),
    (
        lambda: ModelSpec(merge_mode="none", units=(8, 4)),
        "merge_mode",
        "merge_mode none returns two separate tensors (forward, backward), so it only works on a single recurrent layer",
    ),
    (
        lambda: ModelSpec(merge_mode="none", head=DenseHead(3)),
        "merge_mode",
        "so it cannot feed a Dense head",
    ),
    (lambda: ModelSpec(use_bias="no"), "use_bias", "use_bias must be true or false, received 'no'"),
    (lambda: ModelSpec(reset_after=0), "reset_after", "reset_after must be true or false"),
    (
        lambda: ModelSpec(cell="lstm", reset_after=False),
        "reset_after",
        "reset_after only exists on GRU (it says where the reset gate is applied); LSTM has no "
        "such option, received reset_after false with cell lstm",
    ),
    (
        lambda: ModelSpec(cell="rnn", reset_after=False),
        "reset_after",
        "SimpleRNN has no such option, received reset_after false with cell rnn",
    ),
    (lambda: FeatureInput(seq_len=-1), "seq_len", "seq_len must be between 1 and 5000"),
    (lambda: TokenInput(seq_len="none"), "seq_len", "seq_len must be a whole number"),
]


@pytest.mark.parametrize(
    "make, field, message", INVALID, ids=[f"{i}-{c[1]}" for i, c in enumerate(INVALID)]
)
def test_every_validation_rule_names_its_field(make, field: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        make()
    assert isinstance(error.value, ValueError)
    assert error.value.field == field
    assert message in str(error.value)


def test_every_limit_is_enforced_at_both_ends() -> None:
    fields = {"units": "units", "layers": "units", "seq_len": "seq_len", "features": "features",
              "vocab": "vocab", "embedding_dim": "embedding_dim", "dense": "dense", "batch": "batch"}  # fmt: skip
    for limit, field in fields.items():
        low, high = LIMITS[limit]
        for bad in (low - 1, high + 1):
            text = ",".join(["8"] * bad) if limit == "layers" else str(bad)
            extra = {"input": "tokens"} if field in ("vocab", "embedding_dim") else {}
            if limit == "layers" and bad == 0:
                text = ""
            with pytest.raises(SpecError) as error:
                spec_from_fields({field: text, **extra})
            assert error.value.field in (field, limit), (limit, bad)
        # ...and both bounds themselves are accepted.
        if limit != "layers":
            extra = {"input": "tokens"} if field in ("vocab", "embedding_dim") else {}
            spec_from_fields({field: str(low), **extra})
            spec_from_fields({field: str(high), **extra})


def test_lower_layers_always_return_sequences() -> None:
    spec = ModelSpec(units=(8, 4, 2), return_sequences=False)
    assert [spec.layer_returns_sequences(i) for i in range(3)] == [True, True, False]


def test_plain_strings_become_enums() -> None:
    spec = ModelSpec(cell="GRU", merge_mode="Ave")
    assert spec.cell.value == "gru" and spec.merge_mode.value == "ave"


def test_spec_is_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_SPEC.units = (3,)  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(specs())
def test_query_round_trip(spec: ModelSpec) -> None:
    query = spec.to_query()
    assert all(isinstance(value, str) for value in query.values())
    restored, warnings = from_query(query)
    assert restored == spec and warnings == []


@settings(max_examples=200, deadline=None)
@given(specs())
def test_json_round_trip(spec: ModelSpec) -> None:
    assert from_json(spec.to_json()) == spec


@pytest.mark.parametrize("text", ["none", "None", "null", ""])
def test_seq_len_none_is_a_variable_length(text: str) -> None:
    spec = spec_from_fields({"seq_len": text, "input": "tokens"})
    assert spec.input.seq_len is None
    assert spec.to_query()["seq_len"] == "none"
    assert from_query(spec.to_query()) == (spec, [])
    assert from_json(spec.to_json()) == spec


def test_cell_options_round_trip_through_the_url() -> None:
    spec = ModelSpec(cell="gru", use_bias=False, reset_after=False, input=FeatureInput(None, 3))
    query = spec.to_query()
    assert {key: query[key] for key in ("use_bias", "reset_after", "seq_len")} == {
        "use_bias": "false",
        "reset_after": "false",
        "seq_len": "none",
    }
    assert from_query(query) == (spec, [])
    assert spec.cell_options == {"use_bias": False, "reset_after": False}


def test_reset_after_is_left_out_of_the_url_of_other_cells() -> None:
    # Not applicable to LSTM/SimpleRNN: not written, and the default when read back.
    assert "reset_after" not in ModelSpec(cell="lstm").to_query()
    assert ModelSpec(cell="rnn", use_bias=False).cell_options == {"use_bias": False}
    assert DEFAULT_SPEC.cell_options == {}


def test_reset_after_given_for_another_cell_is_refused_not_ignored() -> None:
    with pytest.raises(SpecError) as error:
        spec_from_fields({"cell": "lstm", "reset_after": "false"})
    assert error.value.field == "reset_after"
    assert str(error.value).endswith("received reset_after false with cell lstm")
    # A link that asks for it falls back to the default model, with the reason.
    spec, warnings = from_query({"cell": "lstm", "reset_after": "false"})
    assert spec == DEFAULT_SPEC
    assert len(warnings) == 1 and "reset_after only exists on GRU" in warnings[0]


def test_a_gru_starting_points_reset_after_does_not_follow_a_new_cell() -> None:
    # Starting from a GRU with reset_after=False and choosing LSTM: the LSTM has no
    # reset_after, so the inherited value is dropped rather than refused.
    gru = ModelSpec(cell="gru", reset_after=False, use_bias=False)
    spec = spec_from_fields({"cell": "lstm"}, default=gru)
    assert spec.cell is Cell.LSTM and spec.reset_after is True and spec.use_bias is False
    assert spec_from_fields({"units": "8"}, default=gru).reset_after is False


def test_bad_url_values_fall_back_with_a_warning_each() -> None:
    spec, warnings = from_query(
        {"units": "0", "cell": "xyz", "seq_len": "abc", "extra": "1", "input": "tokens"}
    )
    assert spec.units == DEFAULT_SPEC.units
    assert spec.cell == DEFAULT_SPEC.cell
    assert spec.input.seq_len == DEFAULT_SPEC.input.seq_len
    assert spec.input.kind == "tokens"  # the good value survives
    assert len(warnings) == 4
    assert any("units must be between 1 and 4096, received 0" in w for w in warnings)
    assert any("unknown URL parameter 'extra'" in w for w in warnings)


def test_impossible_url_combination_falls_back_to_default() -> None:
    spec, warnings = from_query({"merge_mode": "none", "dense": "5"})
    assert spec == DEFAULT_SPEC
    assert len(warnings) == 1 and "cannot feed a Dense head" in warnings[0]


def test_url_values_may_be_lists_and_long_values_are_cut() -> None:
    spec, warnings = from_query({"units": ["8", "16,4"], "cell": "x" * 10_000})
    assert spec.units == (16, 4)
    assert len(warnings) == 1 and len(warnings[0]) < 400


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*FIELD_PARSERS, "junk"]), st.text(max_size=30), max_size=8))
def test_any_url_gives_a_valid_spec_never_an_exception(params: dict[str, str]) -> None:
    spec, warnings = from_query(params)
    assert isinstance(spec, ModelSpec)
    assert all(isinstance(w, str) for w in warnings)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "spec JSON is malformed"),
        ("[1, 2]", "spec JSON must be an object"),
        ('{"units": "0"}', "units must be between 1 and 4096, received 0"),
        ('{"colour": "red"}', "unknown field 'colour'"),
        ("[" * 100_000, "spec JSON is malformed"),
    ],
)
def test_bad_json_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        from_json(text)
    assert message in str(error.value)


def test_spec_module_imports_no_tensorflow_or_streamlit() -> None:
    import subprocess

    code = (
        "import sys, bilstm_lab.core.spec, bilstm_lab.core.analysis, bilstm_lab.core.presets, bilstm_lab.cli.main, bilstm_lab.models.verify;"
        "bad = [m for m in ('tensorflow', 'keras', 'streamlit', 'torch') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
