"""The computations behind the Pitfalls page: each classic mistake, demonstrated with real Keras.

Every function builds tiny, explicitly seeded layers (named, never relying on Keras's global
name counters, never touching global seeds) and returns the numbers a card shows. PyTorch
figures come from real ``torch`` when it is installed, and from shape arithmetic otherwise.
The tests assert every claim these functions make.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from bilstm_lab.core.analysis import compare, recurrent_params, torch_recurrent_params
from bilstm_lab.core.presets import get_preset
from bilstm_lab.core.spec import Cell
from bilstm_lab.models.builder import build_model
from bilstm_lab.models.verify import torch_available

Shape = tuple[int | None, ...]


def _init(seed: int) -> dict[str, Any]:
    return {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=seed),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + 1),
        "bias_initializer": keras.initializers.RandomUniform(-0.3, 0.3, seed=seed + 2),
    }


def bidirectional(
    cell: type[keras.layers.Layer],
    units: int,
    seed: int,
    name: str,
    merge_mode: str | None = "concat",
    **options: Any,
) -> keras.layers.Bidirectional:
    """A seeded, named ``Bidirectional(cell(units, **options))`` (directions seeded apart)."""
    forward = cell(units, name=name, **options, **_init(seed))
    backward = cell(
        units, name=f"backward_{name}", go_backwards=True, **options, **_init(seed + 100)
    )
    return keras.layers.Bidirectional(
        forward, backward_layer=backward, merge_mode=merge_mode, name=f"bi_{name}"
    )


def _max_abs(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# --- 1. The last time step of a bidirectional sequence is not a summary ---------------------


@dataclass(frozen=True)
class LastStepDemo:
    """``seq[:, -1, :]`` vs the real summary of a bidirectional sequence.

    Attributes:
        units: units per direction.
        seq_len: time steps.
        last_step_backward: backward half of ``seq[:, -1, :]`` for sample 0.
        backward_on_last_token: the backward layer run on the last token alone, sample 0.
        summary_backward: backward half of the real summary (``return_sequences=False``).
        last_vs_one_token: max |difference| between the first two (≈ 0: it has seen one token).
        last_vs_summary: max |difference| between the last step and the real summary.
        summary_matches_keras: max |difference| between ``concat(seq[:, -1, :u], seq[:, 0, u:])``
            and the output of the same layer with ``return_sequences=False`` (≈ 0).
        torch: the PyTorch side of the same mistake.
    """

    units: int
    seq_len: int
    last_step_backward: tuple[float, ...]
    backward_on_last_token: tuple[float, ...]
    summary_backward: tuple[float, ...]
    last_vs_one_token: float
    last_vs_summary: float
    summary_matches_keras: float
    torch: TorchLastStep


@dataclass(frozen=True)
class TorchLastStep:
    """PyTorch's ``out[:, -1, :]`` with and without ``batch_first``.

    Attributes:
        computed: ``True`` when real torch computed this, ``False`` for shape arithmetic only.
        input_shape: the ``(batch, T, d)`` tensor fed in.
        slip_shape: shape of ``out[:, -1, :]`` with the default ``batch_first=False``.
        intended_shape: shape of the intended per-sample summary.
        slip_leaks_across_batch: with ``batch_first=False``, how much sample 0's result moves when
            only sample 1's last token changes (> 0: the batch is read as time). ``None`` without
            torch.
        hn_vs_final_summary: max |difference| between ``cat(h_n[0], h_n[1])`` and
            `bilstm_lab.torch_equivalent.final_summary` (≈ 0). ``None`` without torch.
        last_step_vs_hn: max |difference| between ``out[:, -1, :]`` (batch_first=True) and
            ``cat(h_n[0], h_n[1])`` (> 0). ``None`` without torch.
    """

    computed: bool
    input_shape: Shape
    slip_shape: Shape
    intended_shape: Shape
    slip_leaks_across_batch: float | None
    hn_vs_final_summary: float | None
    last_step_vs_hn: float | None


def last_step_demo(
    units: int = 4, seq_len: int = 6, features: int = 3, batch: int = 2, seed: int = 0
) -> LastStepDemo:
    """Show that the backward half of ``seq[:, -1, :]`` has seen only the last token.

    Args:
        units: units per direction.
        seq_len: time steps.
        features: input width.
        batch: samples (2 or more, so that the torch batch slip can show).
        seed: seeds the layer weights and the input.

    Returns:
        The numbers of the card.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, seq_len, features)).astype("float32")  # (batch, T, d)
    layer = bidirectional(keras.layers.LSTM, units, seed, "lstm", return_sequences=True)
    seq = np.asarray(layer(x))  # (batch, T, 2*units)
    # The backward LSTM run on the last token alone: exactly what seq[:, -1, units:] holds.
    one_token = np.asarray(layer.backward_layer(x[:, -1:, :]))[:, -1, :]  # (batch, units)
    summary = np.concatenate([seq[:, -1, :units], seq[:, 0, units:]], axis=-1)  # (batch, 2*units)
    # The same weights with return_sequences=False: Keras's real summary.
    flat = bidirectional(keras.layers.LSTM, units, seed, "lstm_flat", return_sequences=False)
    flat.build(x.shape)
    flat.set_weights(layer.get_weights())
    keras_summary = np.asarray(flat(x))  # (batch, 2*units)
    return LastStepDemo(
        units=units,
        seq_len=seq_len,
        last_step_backward=tuple(float(v) for v in seq[0, -1, units:]),
        backward_on_last_token=tuple(float(v) for v in one_token[0]),
        summary_backward=tuple(float(v) for v in summary[0, units:]),
        last_vs_one_token=_max_abs(seq[:, -1, units:], one_token),
        last_vs_summary=_max_abs(seq[:, -1, :], summary),
        summary_matches_keras=_max_abs(summary, keras_summary),
        torch=torch_last_step(x, units, seed),
    )


def torch_last_step(x: np.ndarray, units: int, seed: int = 0) -> TorchLastStep:
    """The seed article's ``out[:, -1, :]`` in PyTorch (real torch when installed).

    Args:
        x: input ``(batch, T, d)``, as the article's model receives it.
        units: hidden size per direction.
        seed: seeds the weights (set explicitly, not through torch's global generator).

    Returns:
        Shapes always; numbers only when torch is installed.
    """
    batch, seq_len, features = x.shape
    # batch_first=False reads (batch, T, d) as (T'=batch, batch'=T, d): out is (batch, T, 2u)
    # and out[:, -1, :] takes "sample" T-1 at every "step": shape (batch, 2u), so nothing fails.
    slip_shape: Shape = (batch, 2 * units)
    intended: Shape = (batch, 2 * units)
    if not torch_available():
        return TorchLastStep(
            False, (batch, seq_len, features), slip_shape, intended, None, None, None
        )
    import torch
    from torch import nn

    from bilstm_lab.torch_equivalent import final_summary

    rng = np.random.default_rng(seed + 7)

    def seeded_lstm(batch_first: bool) -> nn.LSTM:
        module = nn.LSTM(features, units, bidirectional=True, batch_first=batch_first)
        with torch.no_grad():  # explicit weights: no reliance on torch's global generator
            for parameter in module.parameters():
                values = rng.uniform(-0.5, 0.5, size=tuple(parameter.shape)).astype("float32")
                parameter.copy_(torch.from_numpy(values))
        return module

    slip, right = seeded_lstm(batch_first=False), seeded_lstm(batch_first=True)
    right.load_state_dict(slip.state_dict())
    tensor = torch.from_numpy(x)  # (batch, T, d)
    changed = x.copy()
    changed[1, -1, :] += 1.0  # only sample 1's last token changes
    with torch.no_grad():
        slip_out = slip(tensor)[0][:, -1, :]  # (batch, 2u): mixes samples
        slip_changed = slip(torch.from_numpy(changed))[0][:, -1, :]
        out, (h_n, _) = right(tensor)  # out (batch, T, 2u); h_n (2, batch, u)
        h_summary = torch.cat([h_n[0], h_n[1]], dim=-1)  # (batch, 2u)
        helper = final_summary(out, units, bidirectional=True)  # (batch, 2u)
    return TorchLastStep(
        computed=True,
        input_shape=(batch, seq_len, features),
        slip_shape=tuple(slip_out.shape),
        intended_shape=tuple(h_summary.shape),
        slip_leaks_across_batch=_max_abs(slip_out[0], slip_changed[0]),
        hn_vs_final_summary=_max_abs(h_summary, helper),
        last_step_vs_hn=_max_abs(out[:, -1, :], h_summary),
    )


# --- 2. merge_mode=None and return_state -----------------------------------------------------


@dataclass(frozen=True)
class OutputsDemo:
    """How many tensors a Bidirectional layer returns, and what the states are.

    Attributes:
        units: units per direction.
        lstm_state_shapes: shapes of ``Bidirectional(LSTM(return_state=True))``'s outputs.
        gru_state_shapes: the same for a GRU (one state per direction).
        none_shapes: shapes of ``merge_mode=None``'s outputs.
        none_state_count: tensors from ``merge_mode=None`` with ``return_state=True``.
        output_is_states: max |output − concat(h_forward, h_backward)| (≈ 0: the output is
            built from the states, which are returned unmerged, ``units`` wide each).
    """

    units: int
    lstm_state_shapes: tuple[Shape, ...]
    gru_state_shapes: tuple[Shape, ...]
    none_shapes: tuple[Shape, ...]
    none_state_count: int
    output_is_states: float


def outputs_demo(units: int = 4, seq_len: int = 5, features: int = 3, seed: int = 0) -> OutputsDemo:
    """Run ``return_state`` and ``merge_mode=None`` on real layers and list what comes out."""
    x = np.random.default_rng(seed).normal(size=(2, seq_len, features)).astype("float32")
    lstm = bidirectional(keras.layers.LSTM, units, seed, "lstm_state", return_state=True)
    out, h_f, _c_f, h_b, _c_b = lstm(x)  # out (2, 2u); four states (2, u), never merged
    lstm_shapes = tuple(tuple(t.shape) for t in lstm(x))
    gru = bidirectional(keras.layers.GRU, units, seed, "gru_state", return_state=True)
    gru_shapes = tuple(tuple(t.shape) for t in gru(x))
    none = bidirectional(
        keras.layers.LSTM, units, seed, "lstm_none", merge_mode=None, return_sequences=True
    )
    none_shapes = tuple(tuple(t.shape) for t in none(x))
    none_states = bidirectional(
        keras.layers.LSTM, units, seed, "lstm_none_state", merge_mode=None, return_state=True
    )
    return OutputsDemo(
        units=units,
        lstm_state_shapes=lstm_shapes,
        gru_state_shapes=gru_shapes,
        none_shapes=none_shapes,
        none_state_count=len(none_states(x)),
        output_is_states=_max_abs(out, np.concatenate([h_f, h_b], axis=-1)),
    )


# --- 3. Stacking needs return_sequences=True below the last layer ---------------------------


@dataclass(frozen=True)
class StackingDemo:
    """Stacking two BiLSTMs with and without ``return_sequences`` on the lower one.

    Attributes:
        wrong_lower_shape: the lower layer's output with ``return_sequences=False``.
        error: Keras's message when the upper layer receives it (first line).
        right_lower_shape: the lower layer's output with ``return_sequences=True``.
        right_output_shape: the stack's output when done right.
    """

    wrong_lower_shape: Shape
    error: str
    right_lower_shape: Shape
    right_output_shape: Shape


def stacking_demo(
    units: int = 4, seq_len: int = 5, features: int = 3, seed: int = 0
) -> StackingDemo:
    """Build the stack both ways with real Keras; the wrong way fails."""
    inputs = keras.Input((seq_len, features), name="x")
    lower = bidirectional(keras.layers.LSTM, units, seed, "lower_flat", return_sequences=False)
    flat = lower(inputs)  # (None, 2u): no time axis left
    error = ""
    try:
        bidirectional(keras.layers.LSTM, units, seed + 1, "upper_flat")(flat)
    except ValueError as problem:
        error = str(problem).strip().splitlines()[0][:300]
    lower_seq = bidirectional(keras.layers.LSTM, units, seed, "lower_seq", return_sequences=True)
    seq = lower_seq(inputs)  # (None, T, 2u)
    upper = bidirectional(keras.layers.LSTM, units, seed + 1, "upper_seq")(seq)  # (None, 2u)
    return StackingDemo(tuple(flat.shape), error, tuple(seq.shape), tuple(upper.shape))


# --- 4. Padding without masking ----------------------------------------------------------------


@dataclass(frozen=True)
class PaddingDemo:
    """A post-padded sequence through a BiLSTM with and without ``mask_zero``.

    Attributes:
        tokens: the real tokens.
        padded: the post-padded input.
        masked_vs_unpadded: max |difference| between the masked padded run and the unpadded
            sequence (≈ 0).
        unmasked_vs_unpadded: the same without masking (> 0: the pads were read).
        unmasked_backward_vs_unpadded: the backward half alone (it reads the pads first).
        unmasked_forward_vs_unpadded: the forward half alone.
    """

    tokens: tuple[int, ...]
    padded: tuple[int, ...]
    masked_vs_unpadded: float
    unmasked_vs_unpadded: float
    unmasked_backward_vs_unpadded: float
    unmasked_forward_vs_unpadded: float


def padding_demo(
    tokens: tuple[int, ...] = (5, 3, 7), pad_to: int = 8, units: int = 4, seed: int = 0
) -> PaddingDemo:
    """Compare the BiLSTM summary of a sequence with its post-padded copy, masked and not."""
    padded = tuple(tokens) + (0,) * (pad_to - len(tokens))
    embed = keras.layers.Embedding(
        10,
        6,
        name="embedding",
        embeddings_initializer=keras.initializers.RandomUniform(-1, 1, seed=seed),
    )
    layer = bidirectional(keras.layers.LSTM, units, seed, "lstm_pad")
    real = np.array([tokens], dtype="int32")  # (1, len(tokens))
    pad = np.array([padded], dtype="int32")  # (1, pad_to)
    reference = np.asarray(layer(embed(real)))  # (1, 2u)
    masked = np.asarray(layer(embed(pad), mask=pad != 0))  # what mask_zero=True passes down
    unmasked = np.asarray(layer(embed(pad)))
    return PaddingDemo(
        tokens=tuple(tokens),
        padded=padded,
        masked_vs_unpadded=_max_abs(masked, reference),
        unmasked_vs_unpadded=_max_abs(unmasked, reference),
        unmasked_backward_vs_unpadded=_max_abs(unmasked[:, units:], reference[:, units:]),
        unmasked_forward_vs_unpadded=_max_abs(unmasked[:, :units], reference[:, :units]),
    )


def mask_zero_matches_explicit_mask(seed: int = 0) -> float:
    """Max |difference| between ``Embedding(mask_zero=True)`` in a model and the explicit mask.

    The card passes ``mask=tokens != 0``; this checks that it is what ``mask_zero`` does.
    """
    padded = np.array([[5, 3, 7, 0, 0, 0, 0, 0]], dtype="int32")
    inputs = keras.Input((8,), dtype="int32", name="tokens")
    init = keras.initializers.RandomUniform(-1, 1, seed=seed)
    layer = bidirectional(keras.layers.LSTM, 4, seed, "lstm_mask")
    embedded = keras.layers.Embedding(
        10, 6, mask_zero=True, name="embedding", embeddings_initializer=init
    )
    model = keras.Model(inputs, layer(embedded(inputs)), name="masked")
    plain = keras.layers.Embedding(10, 6, name="embedding_plain", embeddings_initializer=init)
    explicit = layer(plain(padded), mask=padded != 0)
    return _max_abs(model(padded), explicit)


# --- 5. Keras vs PyTorch parameter counts ---------------------------------------------------------


@dataclass(frozen=True)
class ParamRow:
    """One direction of one cell type, counted three ways.

    Attributes:
        layer: e.g. ``LSTM`` or ``GRU(reset_after=False)``.
        keras_params: real Keras ``count_params()``.
        analysis_params: the lab's formula.
        torch_params: real torch ``numel()`` sum (or the formula without torch).
        formula: the Keras formula with numbers.
    """

    layer: str
    keras_params: int
    analysis_params: int
    torch_params: int
    formula: str


def param_counts(units: int = 16, features: int = 8) -> tuple[tuple[ParamRow, ...], bool]:
    """Count one direction of LSTM/GRU/SimpleRNN in Keras and PyTorch.

    Returns:
        The rows, and whether real torch counted the PyTorch column.
    """
    use_torch = torch_available()
    rows = []
    cases = [
        ("LSTM", keras.layers.LSTM, {}, Cell.LSTM),
        ("GRU", keras.layers.GRU, {}, Cell.GRU),
        ("GRU(reset_after=False)", keras.layers.GRU, {"reset_after": False}, Cell.GRU),
        ("SimpleRNN", keras.layers.SimpleRNN, {}, Cell.RNN),
    ]
    for label, cls, options, cell in cases:
        layer = cls(units, name=f"count_{cell.value}", **options)
        layer.build((None, 5, features))
        if options.get("reset_after") is False:
            # One bias vector: the analysis's GRU formula assumes Keras's default (two).
            analysis = cell.gates * units * (features + units + 1)
            formula = f"3·{units}·({features}+{units}+1) = {analysis:,}"
        else:
            analysis = recurrent_params(cell, units, features)
            biases = 2 if cell is Cell.GRU else 1
            gates = f"{cell.gates}·" if cell.gates > 1 else ""
            formula = f"{gates}{units}·({features}+{units}+{biases}) = {analysis:,}"
        if use_torch:
            from torch import nn

            torch_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell.value]
            torch_count = sum(p.numel() for p in torch_cls(features, units).parameters())
        else:
            torch_count = torch_recurrent_params(cell, units, features)
        rows.append(ParamRow(label, layer.count_params(), analysis, int(torch_count), formula))
    return tuple(rows), use_torch


# --- 6. The stacked second layer more than doubles ----------------------------------------------


@dataclass(frozen=True)
class StackedDemo:
    """Seed article 000's stacked model: per recurrent layer, LSTM vs BiLSTM parameters.

    Attributes:
        rows: ``(name, uni_params, bi_params, keras_uni, keras_bi, uni_width, bi_width)`` per
            recurrent layer: the analysis's counts, real Keras's, and each layer's input width.
    """

    rows: tuple[tuple[str, int, int, int, int, int, int], ...]


def stacked_demo() -> StackedDemo:
    """The ``seed000-ex3`` preset's recurrent layers, from the analysis and from real Keras."""
    spec = get_preset("seed000-ex3").spec
    comparison = compare(spec)
    uni_model = build_model(spec, bidirectional=False, seed=0)
    bi_model = build_model(spec, bidirectional=True, seed=0)
    rows = []
    for uni_row, bi_row in zip(
        comparison.uni.recurrent_rows, comparison.bi.recurrent_rows, strict=True
    ):
        rows.append(
            (
                bi_row.name,
                uni_row.params,
                bi_row.params,
                uni_model.get_layer(uni_row.name).count_params(),
                bi_model.get_layer(bi_row.name).count_params(),
                uni_row.input_width,
                bi_row.input_width,
            )
        )
    return StackedDemo(tuple(rows))


# --- 7. Future leakage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakageDemo:
    """A BiLSTM and an LSTM trained for next-token prediction on random tokens.

    The next token is random, so no honest model beats chance; the BiLSTM reads it from its
    input (its backward direction has already seen step t+1) and looks perfect when evaluated
    teacher-forced on whole sequences — then falls to chance when it must predict from a prefix,
    which is all a generator ever has.

    Attributes:
        vocab: token count (chance accuracy is ``1/vocab``).
        teacher_forced_bi: BiLSTM accuracy, whole sequences given.
        teacher_forced_uni: LSTM accuracy, whole sequences given.
        per_step_bi: BiLSTM teacher-forced accuracy per position: perfect wherever the next
            token is inside the input, chance at the last position (where it is not).
        generation_bi: BiLSTM accuracy predicting each next token from the prefix only.
        generation_uni: LSTM accuracy from the prefix only.
        sample_prompt: a prompt from the test set.
        sample_generated: what the BiLSTM generates greedily after it.
        sample_truth: the true continuation.
    """

    vocab: int
    teacher_forced_bi: float
    teacher_forced_uni: float
    per_step_bi: tuple[float, ...]
    generation_bi: float
    generation_uni: float
    sample_prompt: tuple[int, ...]
    sample_generated: tuple[int, ...]
    sample_truth: tuple[int, ...]

    @property
    def chance(self) -> float:
        """Accuracy of guessing."""
        return 1 / self.vocab


def _next_token_model(bidirectional_: bool, vocab: int, units: int, seed: int) -> keras.Model:
    inputs = keras.Input((None,), dtype="int32", name="tokens")  # any length: prefixes too
    x = keras.layers.Embedding(
        vocab,
        8,
        name="embedding",
        embeddings_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed),
    )(inputs)  # (batch, T, 8)
    if bidirectional_:
        x = bidirectional(keras.layers.LSTM, units, seed + 1, "lstm", return_sequences=True)(x)
    else:
        x = keras.layers.LSTM(units, return_sequences=True, name="lstm", **_init(seed + 1))(x)
    outputs = keras.layers.Dense(
        vocab,
        activation="softmax",
        name="next_token",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2),
    )(x)  # (batch, T, vocab)
    model = keras.Model(inputs, outputs, name="bi_next" if bidirectional_ else "uni_next")
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    return model


def _prefix_accuracy(model: keras.Model, tokens: np.ndarray) -> float:
    # What a generator has: at step t only tokens[:t+1]; the prediction at the last position.
    hits = []
    for t in range(tokens.shape[1] - 1):
        probs = np.asarray(model(tokens[:, : t + 1]))[:, -1, :]  # (batch, vocab)
        hits.append(np.argmax(probs, axis=-1) == tokens[:, t + 1])
    return float(np.mean(hits))


def leakage_demo(
    vocab: int = 5,
    seq_len: int = 8,
    train: int = 128,
    test: int = 128,
    epochs: int = 15,
    seed: int = 0,
) -> LeakageDemo:
    """Train both variants briefly (seeded, CPU-cheap) and evaluate them two ways.

    Args:
        vocab: token count.
        seq_len: sequence length.
        train: training sequences.
        test: held-out sequences.
        epochs: training epochs.
        seed: seeds the data and every initializer.

    Returns:
        The accuracies and a generated sample.
    """
    rng = np.random.default_rng(seed)
    data = rng.integers(0, vocab, size=(train + test, seq_len)).astype("int32")  # (N, T)
    x_train, x_test = data[:train], data[train:]
    results: dict[bool, tuple[float, float, keras.Model]] = {}
    per_step: tuple[float, ...] = ()
    for bi in (True, False):
        model = _next_token_model(bi, vocab, 16, seed)
        # Input: steps 0..T-2; target: steps 1..T-1 (the next token).
        model.fit(
            x_train[:, :-1], x_train[:, 1:], batch_size=32, epochs=epochs, shuffle=False, verbose=0
        )
        probs = np.asarray(model(x_test[:, :-1]))  # (test, T-1, vocab)
        hits = np.argmax(probs, axis=-1) == x_test[:, 1:]  # (test, T-1)
        forced = float(np.mean(hits))
        if bi:
            per_step = tuple(float(v) for v in hits.mean(axis=0))
        results[bi] = (forced, _prefix_accuracy(model, x_test), model)
    bi_model = results[True][2]
    prompt = list(x_test[0, :3])
    generated: list[int] = []
    for _ in range(seq_len - 3):
        probs = np.asarray(bi_model(np.array([prompt + generated], dtype="int32")))
        generated.append(int(np.argmax(probs[0, -1])))
    return LeakageDemo(
        vocab=vocab,
        teacher_forced_bi=results[True][0],
        teacher_forced_uni=results[False][0],
        per_step_bi=per_step,
        generation_bi=results[True][1],
        generation_uni=results[False][1],
        sample_prompt=tuple(int(t) for t in prompt),
        sample_generated=tuple(generated),
        sample_truth=tuple(int(t) for t in x_test[0, 3:]),
    )
