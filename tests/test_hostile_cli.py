"""Fuzzed command lines: every one ends in a table/JSON (exit 0) or one clear line (exit 2)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import given, settings
from hypothesis import strategies as st

from bilstm_lab.cli.main import main

VALUE_FLAGS = [
    "--cell", "--units", "--merge-mode", "--seq-len", "--features", "--vocab", "--embedding-dim",
    "--batch", "--dense", "--dense-activation", "--preset",
]  # fmt: skip
SWITCHES = [
    "--return-sequences",
    "--no-return-sequences",
    "--return-state",
    "--no-return-state",
    "--use-bias",
    "--no-use-bias",
    "--reset-after",
    "--no-reset-after",
    "--json",
]
VALUES = st.one_of(
    st.text(max_size=12),
    st.integers(-10, 10_000_000).map(str),
    st.sampled_from(
        [
            "lstm",
            "gru",
            "rnn",
            "none",
            "concat",
            "sum",
            "ave",
            "mul",
            "64,32",
            "1,2,3,4,5,6,7",
            "stacked-classifier",
            "",
            "-1",
            "1e3",
            "٣",
        ]
    ),
)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    argv = [draw(st.sampled_from(["summary", "summary", "summary", "presets", "bogus"]))]
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            argv += [draw(st.sampled_from(VALUE_FLAGS)), draw(VALUES)]
        else:
            argv.append(draw(st.sampled_from(SWITCHES)))
    return argv


@settings(max_examples=400, deadline=None)
@given(command_lines())
def test_fuzzed_command_lines_never_raise(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    assert code in (0, 2), argv
    if code == 2:
        assert err.getvalue().startswith("bilstm_lab: error: ")
        assert err.getvalue().count("\n") == 1, err.getvalue()
        assert out.getvalue() == ""
    else:
        assert out.getvalue().strip()
