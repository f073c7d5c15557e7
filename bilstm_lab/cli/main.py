"""The terminal front end: ``python -m bilstm_lab summary ...`` and friends.

Every bad flag ends in exit code 2 and one line on stderr naming what is wrong; no traceback.
TensorFlow is imported only when ``--verify`` asks for real Keras.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bilstm_lab.cli import models as model_commands
from bilstm_lab.cli.quiet import native_stderr_silenced
from bilstm_lab.core import explain
from bilstm_lab.core.analysis import Comparison, LayerRow, compare
from bilstm_lab.core.formatting import fmt, format_shape
from bilstm_lab.core.formatting import text_table as _table
from bilstm_lab.core.presets import PRESETS, get_preset
from bilstm_lab.core.spec import (
    ACTIVATIONS,
    DEFAULT_SPEC,
    Cell,
    MergeMode,
    ModelSpec,
    spec_from_fields,
)

PROGRAM = "bilstm_lab"
EXIT_USAGE = 2
EXIT_MISMATCH = 1


class UsageError(ValueError):
    """A command-line mistake: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before the error; one line is kinder in a terminal.
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _add_summary(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="shapes and parameter counts of the LSTM and BiLSTM variants, side by side",
        description="Shapes and parameter counts of the unidirectional and bidirectional "
        "variants of one model, with formulas, totals and ratios.",
    )
    parser.add_argument(
        "--preset", help="start from a named preset (see `presets`); other flags override it"
    )
    parser.add_argument(
        "--cell", choices=[cell.value for cell in Cell], help="recurrent cell (default lstm)"
    )
    parser.add_argument(
        "--units", help="units per recurrent layer, bottom first, e.g. 64,32 (default 64)"
    )
    parser.add_argument(
        "--merge-mode",
        choices=[mode.value for mode in MergeMode],
        help="how the BiLSTM merges its directions (default concat)",
    )
    parser.add_argument(
        "--return-sequences",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether the last recurrent layer returns the whole sequence (default yes)",
    )
    parser.add_argument(
        "--return-state",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also return the last layer's final states",
    )
    parser.add_argument("--seq-len", help="sequence length T (default 10)")
    inputs = parser.add_mutually_exclusive_group()
    inputs.add_argument(
        "--features", help="float input with this many features per step (default 100)"
    )
    inputs.add_argument(
        "--vocab", help="token-id input with this vocabulary size, through an Embedding"
    )
    parser.add_argument("--embedding-dim", help="embedding size for token input (default 128)")
    parser.add_argument("--batch", help="batch size, or none (default none)")
    parser.add_argument("--dense", help="add a Dense head with this many units (or none)")
    parser.add_argument(
        "--dense-activation",
        choices=ACTIVATIONS,
        help="the Dense head's activation (default softmax)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="build the real Keras models (and PyTorch, if installed) and confirm every number",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.set_defaults(handler=run_summary)  # fmt: skip


def _add_presets(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "presets", help="list the presets (the example models and the teaching models)"
    )
    parser.set_defaults(handler=run_presets)


def _add_app(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app",
        help="start the web app (worker pool first, then Streamlit); "
        "Streamlit's own flags pass through, e.g. --server.port 8502",
    )
    parser.add_argument("streamlit_flags", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def run_app(streamlit_flags: Sequence[str]) -> int:
    """``app``: replace this process with the web app's launcher (`bilstm_lab.ui.launch`).

    The CLI never imports Streamlit itself (only `bilstm_lab.ui` does): the launcher runs as
    its own program, with the flags given after ``app``.
    """
    launcher = [sys.executable, "-m", "bilstm_lab.ui.launch", *streamlit_flags]
    sys.stdout.flush()
    os.execv(sys.executable, launcher)
    return 0  # not reached: execv replaces the process


def spec_from_args(args: argparse.Namespace) -> ModelSpec:
    """The spec the flags describe: the preset (or the default) with each given flag applied.

    Raises:
        SpecError: for a bad value or an impossible combination, naming the field.
    """
    base = get_preset(args.preset).spec if args.preset else DEFAULT_SPEC
    fields: dict[str, str] = {}
    flag_fields = {
        "cell": args.cell,
        "units": args.units,
        "merge_mode": args.merge_mode,
        "seq_len": args.seq_len,
        "features": args.features,
        "vocab": args.vocab,
        "embedding_dim": args.embedding_dim,
        "batch": args.batch,
        "dense": args.dense,
        "dense_activation": args.dense_activation,
    }
    fields.update({key: value for key, value in flag_fields.items() if value is not None})
    for key in ("return_sequences", "return_state"):
        if getattr(args, key) is not None:
            fields[key] = "true" if getattr(args, key) else "false"
    if args.features is not None:
        fields["input"] = "features"
    elif args.vocab is not None or args.embedding_dim is not None:
        fields["input"] = "tokens"
    if args.dense_activation is not None and args.dense is None and base.head is None:
        raise UsageError("--dense-activation needs --dense UNITS (the model has no Dense head)")
    return spec_from_fields(fields, default=base)


def render_comparison(comparison: Comparison) -> str:
    """The two variants side by side as a plain-text table, with formulas, totals and ratios."""
    uni, bi = comparison.uni, comparison.bi
    header = ["layer", f"{uni.label} output", "params", f"{bi.label} output", "params", "ratio"]
    rows = [header]
    for uni_row, bi_row in zip(uni.layers, bi.layers, strict=True):
        rows.append([
            f"{uni_row.name} / {bi_row.name}" if uni_row.name != bi_row.name else uni_row.name,
            format_shape(uni_row.output_shapes), fmt(uni_row.params),
            format_shape(bi_row.output_shapes), fmt(bi_row.params),
            _ratio_text(uni_row, bi_row),
        ])  # fmt: skip
    rows.append(
        [
            "total (Keras)",
            "",
            fmt(uni.total_params),
            "",
            fmt(bi.total_params),
            f"{comparison.total_ratio:.2f}×",
        ]
    )
    rows.append(
        [
            "PyTorch equivalent",
            "",
            fmt(uni.torch_params),
            "",
            fmt(bi.torch_params),
            f"{bi.torch_params / uni.torch_params:.2f}×",
        ]
    )
    lines = [explain.describe(comparison.spec), ""]
    lines += _table(rows, right_aligned={2, 4, 5})
    lines += ["", "Formulas (Keras):"]
    formula_rows = [[f"  {v.label}", row.name, row.formula] for v in (uni, bi) for row in v.layers]
    lines += _table(formula_rows, right_aligned=set())
    lines += [
        "",
        f"Recurrent parameters: {fmt(uni.recurrent_params)} → {fmt(bi.recurrent_params)} ({comparison.recurrent_ratio:.2f}×).",
    ]
    for ratio in comparison.layer_ratios():
        lines.append(f"  {ratio.name}: {ratio.ratio:.2f}× — {explain.ratio_reason(ratio)}.")
    lines.append(f"PyTorch: {explain.torch_difference(comparison.spec.cell)}")
    return "\n".join(lines)  # fmt: skip


def _ratio_text(uni_row: LayerRow, bi_row: LayerRow) -> str:
    if uni_row.params == 0:
        return "–"
    return f"{bi_row.params / uni_row.params:.2f}×"


def run_summary(args: argparse.Namespace) -> int:
    """``summary``: print the comparison (table or JSON), optionally verified with Keras."""
    spec = spec_from_args(args)
    comparison = compare(spec)
    if args.json:
        payload = {
            "unidirectional": comparison.uni.to_dict(),
            "bidirectional": comparison.bi.to_dict(),
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        print(render_comparison(comparison))
        if args.preset:
            preset = get_preset(args.preset)
            print(f"\nPreset {preset.key}: {preset.source}.\n{preset.note}")
    if not args.verify:
        return 0
    from bilstm_lab.models.verify import verify_spec

    print("Building the real models to verify…", file=sys.stderr, flush=True)
    with native_stderr_silenced():
        verification = verify_spec(spec)
    out = sys.stderr if args.json else sys.stdout
    mark = "✓" if verification.ok else "✗"
    print(f"{mark} {verification.summary()}", file=out)
    for mismatch in verification.mismatches:
        print(f"  {mismatch}", file=out)
    return 0 if verification.ok else EXIT_MISMATCH


def run_presets(args: argparse.Namespace) -> int:
    """``presets``: list every preset with its source."""
    rows = [["key", "title", "source"]] + [[p.key, p.title, p.source] for p in PRESETS]
    print("\n".join(_table(rows, right_aligned=set())))
    return 0


#: Sub-command registrars: each adds its parser (and handler) to the CLI.
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_summary,
    _add_presets,
    _add_app,
    model_commands.register,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = _Parser(prog=f"python -m {PROGRAM}", description="BiLSTM Lab in the terminal.")
    subparsers = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for register in SUBCOMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI.

    Args:
        argv: the arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The exit code: 0 on success, 1 when ``--verify`` finds a mismatch, 2 for bad input.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["app"] and arguments[1:2] not in (["-h"], ["--help"]):
        # Everything after ``app`` is Streamlit's, in order (argparse would reorder flags).
        return run_app(arguments[1:])
    try:
        args = build_parser().parse_args(arguments)
        return int(args.handler(args))
    except ValueError as error:  # SpecError, UsageError and the other input errors
        message = " ".join(str(error).split())
        print(f"{PROGRAM}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
