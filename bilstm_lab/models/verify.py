"""Confirm the pure-Python analysis against real Keras (and real PyTorch when installed).

Used by the CLI's ``--verify`` and the Explorer's "Verified with Keras" check. Importing this
module is cheap; TensorFlow (and torch) are imported only when a check actually runs.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from bilstm_lab.core.analysis import VariantAnalysis, analyze, has_torch_equivalent
from bilstm_lab.core.errors import TooLargeToVerify
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.spec import ModelSpec, from_json
from bilstm_lab.core.verification import Mismatch, Verification

#: Largest model (parameters, both variants together) the verifier will allocate. Real weights
#: are created, and a classroom shares one server, so giant vocabularies are checked by the
#: analysis alone.
MAX_VERIFY_PARAMS = 30_000_000


def torch_available() -> bool:
    """Whether PyTorch is installed (the PyTorch cross-check is optional)."""
    return importlib.util.find_spec("torch") is not None


def verify_spec(spec: ModelSpec, with_torch: bool | None = None) -> Verification:
    """Build both variants with real Keras (and PyTorch) and compare every number.

    Compared per layer: name, type, output shape(s), ``count_params()``; per model: the total.
    With PyTorch: the equivalent module's parameter count, where PyTorch has one.

    Args:
        spec: the model.
        with_torch: check PyTorch counts too; ``None`` means "when torch is installed".

    Returns:
        The number of values checked and every mismatch found.

    Raises:
        TooLargeToVerify: when the two variants together exceed `MAX_VERIFY_PARAMS`.
    """
    variants = [analyze(spec, bidirectional=False), analyze(spec, bidirectional=True)]
    size = sum(variant.total_params for variant in variants)
    if size > MAX_VERIFY_PARAMS:
        raise TooLargeToVerify(
            "model",
            f"model is too large to build for verification here (limit {fmt(MAX_VERIFY_PARAMS)} "
            f"parameters for both variants together), received {fmt(size)}",
        )
    use_torch = torch_available() if with_torch is None else with_torch
    # A GRU with reset_after=False has no PyTorch equivalent: there is no count to check.
    use_torch = use_torch and has_torch_equivalent(spec)
    checked, mismatches = 0, list[Mismatch]()
    for variant in variants:
        count, found = _compare_with_keras(variant)
        checked, mismatches = checked + count, mismatches + found
        if use_torch:
            count, found = _compare_with_torch(variant)
            checked, mismatches = checked + count, mismatches + found
    return Verification(checked, tuple(mismatches), use_torch)


def _compare_with_keras(variant: VariantAnalysis) -> tuple[int, list[Mismatch]]:
    from bilstm_lab.models.builder import build_model, layer_output_shapes
    from bilstm_lab.models.introspect import layer_kind

    model = build_model(variant.spec, variant.bidirectional)
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    label = variant.label
    mismatches: list[Mismatch] = []
    checked = 1
    if len(layers) != len(variant.layers):
        return checked, [Mismatch(label, "model", "layer count", len(variant.layers), len(layers))]
    for layer, row in zip(layers, variant.layers, strict=True):
        actual = {
            "name": layer.name,
            "type": layer_kind(layer),
            "output shape": layer_output_shapes(layer),
            "params": layer.count_params(),
        }
        expected = {
            "name": row.name,
            "type": row.type,
            "output shape": list(row.output_shapes),
            "params": row.params,
        }
        for what, value in expected.items():
            checked += 1
            if actual[what] != value:
                mismatches.append(Mismatch(label, row.name, what, value, actual[what]))
    if model.count_params() != variant.total_params:
        mismatches.append(
            Mismatch(label, "model", "total params", variant.total_params, model.count_params())
        )
    return checked, mismatches


def _compare_with_torch(variant: VariantAnalysis) -> tuple[int, list[Mismatch]]:
    from bilstm_lab.torch_equivalent import build_torch_model, count_torch_params

    module = build_torch_model(variant.spec, variant.bidirectional)
    actual = count_torch_params(module)
    if actual != variant.torch_params:
        return 1, [Mismatch(variant.label, "PyTorch model", "params", variant.torch_params, actual)]
    return 1, []


def verify_job(spec_json: str, report: Any, should_stop: Any) -> Verification:
    """Worker entry point: verify the spec given as JSON (`bilstm_lab.workers`).

    A model too large to build is refused with `TooLargeToVerify`, which crosses back to the
    server as the input error it is.
    """
    del report, should_stop  # one indivisible check: nothing to report, nowhere to stop
    return verify_spec(from_json(spec_json))
