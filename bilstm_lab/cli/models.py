"""The ``convert`` and ``inspect`` sub-commands (registered by `bilstm_lab.cli.main`).

``python -m bilstm_lab convert IN.keras OUT.keras [--layers NAMES] [--merge-mode M]
[--no-warm-start]`` and ``python -m bilstm_lab inspect IN.keras``. Every user error is a
`ValueError` subclass, which `bilstm_lab.cli.main` prints as one line with exit code 2.
TensorFlow is imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from bilstm_lab.cli.quiet import native_stderr_silenced
from bilstm_lab.core.spec import MergeMode


class ModelCommandError(ValueError):
    """A bad argument to ``convert`` or ``inspect``."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``convert`` and ``inspect`` sub-parsers."""
    convert = subparsers.add_parser(
        "convert",
        help="wrap the recurrent layers of a saved .keras model in Bidirectional",
        description="Wrap chosen LSTM/GRU/SimpleRNN layers of a saved model in Bidirectional, "
        "keep the weights that still fit, save the result and print a per-layer report.",
    )
    convert.add_argument("input", metavar="IN.keras", help="the model to convert")
    convert.add_argument("output", metavar="OUT.keras", help="where to save the converted model")
    convert.add_argument(
        "--layers", help="comma-separated names of the layers to convert (default: all recurrent)"
    )
    convert.add_argument(
        "--merge-mode",
        default=MergeMode.CONCAT.value,
        choices=[mode.value for mode in MergeMode],
        help="how each BiLSTM merges its directions (default concat)",
    )
    convert.add_argument(
        "--no-warm-start",
        dest="warm_start",
        action="store_false",
        help="initialise the forward directions afresh instead of from the original weights",
    )
    convert.add_argument("--seed", type=int, default=0, help="seed for new weights (default 0)")
    convert.set_defaults(handler=run_convert)

    inspect = subparsers.add_parser(
        "inspect", help="print the shape/parameter table of a saved .keras model"
    )
    inspect.add_argument("input", metavar="IN.keras", help="the model to inspect")
    inspect.set_defaults(handler=run_inspect)


def _layer_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ModelCommandError(f"--layers must be comma-separated layer names, received {text!r}")
    return names


def _native_quiet() -> contextlib.AbstractContextManager[None]:
    # TensorFlow's C++ start-up notices go straight to fd 2 and would bury the one error line.
    return native_stderr_silenced()


def run_convert(args: argparse.Namespace) -> int:
    """``convert``: load, convert, save, reload and predict to check, write, print the report.

    Raises:
        ValueError: (subclasses) for a bad file, bad layer names or an impossible conversion.
    """
    output = Path(args.output)
    if output.suffix != ".keras":
        raise ModelCommandError(f"OUT must end in .keras, received {args.output!r}")
    if output.resolve() == Path(args.input).resolve():
        raise ModelCommandError(
            f"OUT must differ from IN (refusing to overwrite), received {args.output!r}"
        )
    if not output.parent.is_dir():
        raise ModelCommandError(f"OUT's folder does not exist, received {args.output!r}")
    layers = _layer_names(args.layers)
    with _native_quiet():
        from bilstm_lab.core import explain
        from bilstm_lab.core.conversion import Direction
        from bilstm_lab.models.convert import convert_and_check
        from bilstm_lab.models.model_io import load_model_file

        model = load_model_file(args.input)
        # The file written is exactly the one that was loaded back and run.
        checked = convert_and_check(
            model,
            Direction.WRAP,
            layers,
            merge_mode=args.merge_mode,
            warm_start=args.warm_start,
            seed=args.seed,
        )
    data, check = checked.data, checked.check
    output.write_bytes(data)
    print(checked.conversion.report.to_text())
    print(explain.conversion_check(check.size_bytes, check.batch_shapes, check.output_shapes))
    print(f"Saved {output} ({len(data):,} bytes).")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    """``inspect``: print the layer table of a saved model.

    Raises:
        ValueError: (subclasses) for a bad file.
    """
    with _native_quiet():
        from bilstm_lab.models.introspect import model_info
        from bilstm_lab.models.model_io import load_model_file

        info = model_info(load_model_file(args.input))
    print(info.to_text())
    return 0
