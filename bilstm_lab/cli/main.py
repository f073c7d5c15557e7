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
from typing import Any, NoReturn

from bilstm_lab.cli import models as model_commands
from bilstm_lab.cli import train as train_command
from bilstm_lab.cli.quiet import native_stderr_silenced
from bilstm_lab.core import comparison_table, explain
from bilstm_lab.core.analysis import Comparison, VariantAnalysis, compare
from bilstm_lab.core.fields import SETTABLE_FIELDS, spec_from_settings
from bilstm_lab.core.formatting import text_table as _table
from bilstm_lab.core.presets import PRESETS, get_preset
from bilstm_lab.core.spec import ACTIVATIONS, Cell, MergeMode, ModelSpec

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
    parser.add_argument(
        "--use-bias",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether every recurrent cell has bias vectors (default yes)",
    )
    parser.add_argument(
        "--reset-after",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="GRU only: apply the reset gate after the recurrent kernel, Keras's default (yes); "
        "--no-reset-after has no PyTorch equivalent",
    )
    parser.add_argument(
        "--seq-len", help="sequence length T, or none for a variable length (default 10)"
    )
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
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--format",
        choices=list(FORMATS),
        default="table",
        help="table (default), json, markdown or csv (the side-by-side table, plain numbers)",
    )
    output.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )
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

    A flag's destination is its spec field (``--seq-len`` -> ``seq_len``); `spec_from_settings`
    is the one mapping the CLI and the notebook API share.

    Raises:
        SpecError: for a bad value or an impossible combination, naming the field.
    """
    given = {
        name: getattr(args, name)
        for name in SETTABLE_FIELDS
        if getattr(args, name, None) is not None  # None: the flag was not given
    }
    return spec_from_settings(given, preset=args.preset)


def summary_json(comparison: Comparison) -> str:
    """``summary --json``: ``{"unidirectional": V, "bidirectional": V}`` (see the README)."""
    payload = {
        "unidirectional": _variant_json(comparison.uni),
        "bidirectional": _variant_json(comparison.bi),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _variant_json(variant: VariantAnalysis) -> dict[str, Any]:
    """One variant's JSON; a ``"torch_params": null`` comes with a ``"torch_note"`` saying why."""
    data = variant.to_dict()
    if variant.torch_params is None:
        data["torch_note"] = explain.torch_difference(variant.spec)
    return data


#: ``summary --format``: how each format writes the comparison (``--json`` is ``--format json``).
FORMATS: dict[str, Callable[[Comparison], str]] = {
    "table": comparison_table.as_text,
    "json": summary_json,
    "markdown": comparison_table.as_markdown,
    "csv": comparison_table.as_csv,
}


def run_summary(args: argparse.Namespace) -> int:
    """``summary``: print the comparison (table, JSON, Markdown or CSV), optionally verified."""
    spec = spec_from_args(args)
    print(FORMATS[args.format](compare(spec)).rstrip("\n"))  # CSV text ends in its own newline
    if args.format == "table" and args.preset:
        preset = get_preset(args.preset)
        print(f"\nPreset {preset.key}: {preset.heading()}.\n{preset.note}")
    if not args.verify:
        return 0
    from bilstm_lab.models.verify import verify_spec

    print("Building the real models to verify…", file=sys.stderr, flush=True)
    with native_stderr_silenced():
        verification = verify_spec(spec)
    # Only the table is for reading: the other formats' stdout stays machine-readable.
    out = sys.stdout if args.format == "table" else sys.stderr
    # Words, not check marks: a terminal font may have no glyph for them.
    print(verification.summary() + (":" if verification.mismatches else "."), file=out)
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
    train_command.register,
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
