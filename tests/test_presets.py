"""Every article preset equals the model built from the article's own code, run as written."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import warnings
from pathlib import Path

import pytest

from bilstm_lab.core.analysis import analyze, compare
from bilstm_lab.core.fields import spec_from_settings
from bilstm_lab.core.formatting import fmt
from bilstm_lab.core.presets import PRESET_ALIASES, PRESETS, PRESETS_BY_KEY, get_preset
from bilstm_lab.core.spec import SpecError
from tests.conftest import ROOT
from tests.keras_facts import keras_layer_facts

HAS_TORCH = importlib.util.find_spec("torch") is not None
SEEDS = ROOT.parent / "shared" / "seeds"


def _run_article_code(code: str, **names: object) -> dict[str, object]:
    namespace: dict[str, object] = dict(names)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<article>", "exec"), namespace)
    return namespace


def _assumed_values(preset_key: str) -> dict[str, int]:
    """The values a preset fills in for names the article leaves undefined."""
    text = get_preset(preset_key).assumptions
    return {name: int(value) for name, value in re.findall(r"(\w+) = (\d+)", text)}


def _facts_without_names(model: object) -> list[tuple]:
    # The article's code lets Keras name its layers; compare everything but the names.
    return [(f.type, f.output_shapes, f.params) for f in keras_layer_facts(model)]


def _rows_without_names(preset_key: str, bidirectional: bool) -> list[tuple]:
    rows = analyze(get_preset(preset_key).spec, bidirectional).layers
    return [(r.type, list(r.output_shapes), r.params) for r in rows]


def test_features_basic_layers_called_on_a_tensor() -> None:
    ns = _run_article_code(get_preset("features-basic").article_code)
    for layer_key, output_key, bidirectional in (
        ("lstm_layer", "lstm_output", False),
        ("bilstm_layer", "bilstm_output", True),
    ):
        row = analyze(get_preset("features-basic").spec, bidirectional).layers[0]
        assert ns[layer_key].count_params() == row.params  # type: ignore[attr-defined]
        assert tuple(ns[output_key].shape) == row.output_shapes[0]  # type: ignore[attr-defined]


def test_embedding_classifier_models() -> None:
    ns = _run_article_code(get_preset("embedding-classifier").article_code)
    assert _facts_without_names(ns["model_lstm"]) == _rows_without_names(
        "embedding-classifier", False
    )
    assert _facts_without_names(ns["model_bilstm"]) == _rows_without_names(
        "embedding-classifier", True
    )


def test_stacked_classifier_models() -> None:
    ns = _run_article_code(
        get_preset("stacked-classifier").article_code, **_assumed_values("stacked-classifier")
    )
    assert _facts_without_names(ns["model_stacked_lstm"]) == _rows_without_names(
        "stacked-classifier", False
    )
    assert _facts_without_names(ns["model_stacked_bilstm"]) == _rows_without_names(
        "stacked-classifier", True
    )
    # The article's prose: "doubled for each layer". Real Keras: not for the second layer.
    lstm2 = ns["model_stacked_lstm"].layers[3].count_params()  # type: ignore[attr-defined]
    bilstm2 = ns["model_stacked_bilstm"].layers[3].count_params()  # type: ignore[attr-defined]
    assert bilstm2 > 2 * lstm2


def test_keras_tagger_sequential_stays_unbuilt_until_built() -> None:
    values = _assumed_values("keras-tagger")
    ns = _run_article_code(get_preset("keras-tagger").article_code, **values)
    model = ns["model"]
    assert not model.built  # type: ignore[attr-defined]  # the preset's note says so
    model.build((None, values["sequence_length"]))  # type: ignore[attr-defined]
    assert _facts_without_names(model) == _rows_without_names("keras-tagger", True)


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (CI installs it)")
def test_pytorch_classifier_parameter_count() -> None:
    import torch

    values = _assumed_values("pytorch-classifier")
    ns = _run_article_code(get_preset("pytorch-classifier").article_code, **values)
    model = ns["model"]
    numel = sum(p.numel() for p in model.parameters())  # type: ignore[attr-defined]
    assert numel == analyze(get_preset("pytorch-classifier").spec, True).torch_params
    # The article's slip: with batch_first=False the input is read as (T, batch, d), and
    # out[:, -1, :] picks the last *sample*: the output has one row per time step.
    steps, batch = 20, 3
    output = model(torch.zeros(batch, steps, values["embedding_dim"]))  # type: ignore[operator]
    assert tuple(output.shape) == (batch, values["num_classes"])
    output = model(torch.zeros(steps, batch, values["embedding_dim"]))  # type: ignore[operator]
    assert tuple(output.shape) == (steps, values["num_classes"])


@pytest.mark.parametrize("preset", [p for p in PRESETS if p.article_code], ids=lambda p: p.key)
def test_article_code_is_verbatim(preset) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not found at {SEEDS}")
    articles = "\n".join(path.read_text() for path in sorted(SEEDS.glob("*.txt")))
    assert preset.article_code.strip() in articles


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_every_number_in_a_note_is_a_real_figure(preset) -> None:
    """A note may only quote numbers the analysis gives for that preset."""
    comparison = compare(preset.spec)
    figures = set()
    for variant in (comparison.uni, comparison.bi):
        figures |= {fmt(variant.total_params), fmt(variant.torch_params)}
        figures |= {fmt(row.params) for row in variant.layers}
        figures |= {fmt(row.torch_params) for row in variant.layers}
    figures |= {fmt(comparison.bi.torch_params - comparison.bi.total_params)}
    ratios = {f"{r.ratio:.2f}×" for r in comparison.layer_ratios()} | {
        f"{comparison.total_ratio:.2f}×"
    }
    for number in re.findall(r"\b\d{1,3}(?:,\d{3})+\b|\b\d{3,}\b", preset.note):
        if number in preset.assumptions or number in "100 128 10,000":
            continue
        assert number in figures, f"{preset.key}: {number} is not one of the model's figures"
    for ratio in re.findall(r"\d+\.\d\d×", preset.note):
        assert ratio in ratios, f"{preset.key}: {ratio} is not one of the model's ratios"


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(SpecError) as error:
        get_preset("nope")
    assert "preset must be one of features-basic, embedding-classifier" in str(error.value)
    assert "seed" not in str(error.value)
    assert error.value.field == "preset"


ARTICLE_KEYS = (
    "features-basic",
    "embedding-classifier",
    "stacked-classifier",
    "keras-tagger",
    "pytorch-classifier",
)


def test_the_presets_cover_every_article_example() -> None:
    assert set(ARTICLE_KEYS) <= set(PRESETS_BY_KEY)
    assert [p.key for p in PRESETS if p.article_code] == list(ARTICLE_KEYS)
    assert len(PRESETS_BY_KEY) == len(PRESETS)
    assert all(Path(p.key).name == p.key and " " not in p.key for p in PRESETS)


def test_presets_are_named_in_plain_words() -> None:
    # Keys, titles and sources name what a model is and where it comes from, never an
    # internal label ("seed article 000").
    for preset in PRESETS:
        for text in (preset.key, preset.title, preset.source):
            assert not re.search(r"seed|\b0\d\d\b", text, re.IGNORECASE), text
    for preset in PRESETS:
        if preset.article_code:
            assert re.fullmatch(
                r"from the article “[^”]+\?”, example \d( \(PyTorch\))?", preset.source
            )


def test_old_keys_still_name_their_presets() -> None:
    # Links, scripts and notebooks written before the rename keep working; no list shows them.
    assert set(PRESET_ALIASES.values()) == set(ARTICLE_KEYS)
    for old, new in PRESET_ALIASES.items():
        assert get_preset(old) is get_preset(new) is PRESETS_BY_KEY[new]
        assert old not in PRESETS_BY_KEY
    assert get_preset("seed000-ex3").key == "stacked-classifier"
    assert spec_from_settings({}, preset="seed004-pytorch") == get_preset("pytorch-classifier").spec


def test_a_teaching_models_heading_has_no_source_tag() -> None:
    from bilstm_lab.core.presets import PRESETS, TEACHING

    for preset in PRESETS:
        expected = f"**{preset.title}**"
        if preset.source != TEACHING:
            expected += f" — {preset.source}"
        assert preset.heading(markdown=True) == expected
