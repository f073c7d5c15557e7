"""`summary --format table|json|markdown|csv`: one set of rows, four ways to write it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bilstm_lab.cli.main import main
from bilstm_lab.core import comparison_table
from bilstm_lab.core.analysis import compare
from bilstm_lab.core.presets import get_preset

PRESET = "stacked-classifier"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["summary", "--preset", PRESET, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_flag_is_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    _, by_flag, _ = run(capsys, "--json")
    _, by_format, _ = run(capsys, "--format", "json")
    assert by_flag == by_format
    assert json.loads(by_flag)["bidirectional"]["total_params"] == 1_420_682


def test_default_format_is_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    _, default, _ = run(capsys)
    _, table, _ = run(capsys, "--format", "table")
    assert default == table
    assert table.startswith(comparison_table.as_text(compare(get_preset(PRESET).spec)))


def test_csv_is_the_table_with_plain_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format", "csv")
    assert code == 0
    comparison = compare(get_preset(PRESET).spec)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == comparison_table.header(comparison)
    assert [row[0] for row in rows[1:]] == [
        row.layer for row in comparison_table.table_rows(comparison)
    ]
    by_layer = {row[0]: row for row in rows[1:]}
    assert by_layer["lstm_2 / bilstm_2"][2:5] == ["12416", "(None, 64)", "41216"]
    assert by_layer[comparison_table.TOTAL_LABEL][4] == str(comparison.bi.total_params)
    assert float(by_layer[comparison_table.TOTAL_LABEL][5]) == pytest.approx(comparison.total_ratio)


def test_markdown_has_the_same_rows_and_the_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format", "markdown")
    assert code == 0
    comparison = compare(get_preset(PRESET).spec)
    lines = out.splitlines()
    assert "| layer | LSTM output | LSTM params | BiLSTM output | BiLSTM params | ratio |" in lines
    assert "| --- | --- | ---: | --- | ---: | ---: |" in lines
    for row in comparison_table.table_rows(comparison):
        assert "| " + " | ".join(row.display_cells()) + " |" in lines
    for reason in comparison_table.reasons(comparison):
        assert f"- {reason}" in lines


def test_verify_verdict_keeps_machine_formats_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--format", "csv", "--verify")
    assert code == 0
    assert "Verified with Keras" in err
    assert "verified" not in out.lower()
    assert list(csv.reader(io.StringIO(out)))[-1][0] == comparison_table.TORCH_LABEL


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "yaml"], "invalid choice: 'yaml'"),
        (["--json", "--format", "csv"], "not allowed with argument"),
        (["--features", "3", "--embedding-dim", "8"], "describe different inputs"),
    ],
)
def test_bad_format_flags_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_every_summary_flag_is_a_spec_field() -> None:
    # A flag outside the one mapping would need its own handling: no flag may bypass it.
    from bilstm_lab.cli.main import build_parser
    from bilstm_lab.core.fields import SETTABLE_FIELDS

    summary = build_parser()._subparsers._group_actions[0].choices["summary"]  # type: ignore[union-attr]
    dests = {action.dest for action in summary._actions} - {"help", "preset", "verify", "format"}
    assert dests <= set(SETTABLE_FIELDS)
