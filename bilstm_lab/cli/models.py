"""The ``convert`` and ``inspect`` sub-commands (registered by `bilstm_lab.cli.main`).

``python -m bilstm_lab convert IN.keras OUT.keras [--layers NAMES] [--merge-mode M]
[--no-warm-start] [--unwrap]`` and ``python -m bilstm_lab inspect IN.keras``. Every user error
is a `ValueError` subclass, which `bilstm_lab.cli.main` prints as one line with exit code 2; a
converted model that fails its check is never written and exits 1 (one line too).
TensorFlow is imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from bilstm_lab.cli.quiet import native_stderr_silenced
from bilstm_lab.core.errors import ConversionCheckFailed, one_line
from bilstm_lab.core.spec import MergeMode

#: Exit code of a conversion whose result failed its check (refusals and bad input exit 2).
EXIT_CHECK_FAILED = 1


class ModelCommandError(ValueError):
    """A bad argument to ``convert`` or ``inspect``."""


def _add_convert(subparsers: argparse._SubParsersAction) -> None:
    convert = subparsers.add_parser(
        "convert",
        help="wrap the recurrent layers of a saved .keras model in Bidirectional (or unwrap)",
        description="Wrap chosen recurrent layers of a saved model in Bidirectional (or, with "
        "--unwrap, replace Bidirectional layers by their forward layer), keep the weights that "
        "still fit, check that the result loads back and runs, save it and print a per-layer "
        "report.",
    )
    convert.add_argument("input", metavar="IN.keras", help="the model to convert")
    convert.add_argument("output", metavar="OUT.keras", help="where to save the converted model")
    convert.add_argument(
        "--layers",
        help="comma-separated names of the layers to convert, outer/inner for a layer inside a "
        "nested model (default: all that qualify)",
    )
    convert.add_argument(
        "--unwrap",
        action="store_true",
        help="replace Bidirectional layers by their forward layer instead of wrapping",
    )
    convert.add_argument(
        "--merge-mode",
        choices=[mode.value for mode in MergeMode],
        help="how each new Bidirectional layer merges its directions (default concat)",
    )
    convert.add_argument(
        "--no-warm-start",
        dest="warm_start",
        action="store_false",
        help="initialise the forward directions afresh instead of from the original weights",
    )
    convert.add_argument("--seed", type=int, default=0, help="seed for new weights (default 0)")
    convert.set_defaults(handler=run_convert)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``convert`` and ``inspect`` sub-parsers."""
    _add_convert(subparsers)
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


def _check_paths(args: argparse.Namespace) -> Path:
    output = Path(args.output)
    if output.suffix != ".keras":
        raise ModelCommandError(f"OUT must end in .keras, received {args.output!r}")
    if output.resolve() == Path(args.input).resolve():
        raise ModelCommandError(
            f"OUT must differ from IN (refusing to overwrite), received {args.output!r}"
        )
    if not output.parent.is_dir():
        raise ModelCommandError(f"OUT's folder does not exist, received {args.output!r}")
    if args.unwrap and (args.merge_mode is not None or not args.warm_start):
        option = "--merge-mode" if args.merge_mode is not None else "--no-warm-start"
        raise ModelCommandError(
            f"{option} only applies when wrapping, not with --unwrap, received {option}"
        )
    return output


def run_convert(args: argparse.Namespace) -> int:
    """``convert``: load, convert, save, reload, run and compare, write, print the report.

    Returns:
        0 when written; `EXIT_CHECK_FAILED` when the converted model failed its check (nothing
        is written then).

    Raises:
        ValueError: (subclasses) for a bad file, bad layer names or an impossible conversion.
    """
    output = _check_paths(args)
    layers = _layer_names(args.layers)
    try:
        with _native_quiet():
            from bilstm_lab.core.conversion import Direction
            from bilstm_lab.models.convert import convert_and_check
            from bilstm_lab.models.model_io import (
                load_model_bytes,
                read_model_file,
                saved_compile_config,
            )

            data = read_model_file(args.input)
            # The file written is exactly the one that was loaded back, run and compared.
            checked = convert_and_check(
                load_model_bytes(data, Path(args.input).name),
                Direction.UNWRAP if args.unwrap else Direction.WRAP,
                layers,
                merge_mode=args.merge_mode or MergeMode.CONCAT.value,
                warm_start=args.warm_start,
                seed=args.seed,
                compile_config=saved_compile_config(data),
            )
    except ConversionCheckFailed as error:
        from bilstm_lab.cli.main import PROGRAM

        print(f"{PROGRAM}: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    output.write_bytes(checked.data)
    print(checked.conversion.report.to_text())
    print("\n".join(checked.check.lines()))
    print(f"Saved {output} ({len(checked.data):,} bytes).")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    """``inspect``: print the layer table of any model Keras can load (``safe_mode=True``).

    Raises:
        ValueError: (subclasses) for a bad file.
    """
    with _native_quiet():
        from bilstm_lab.models.introspect import model_info
        from bilstm_lab.models.model_io import load_model_file

        info = model_info(load_model_file(args.input, recurrent_only=False))
    print(info.to_text())
    return 0
