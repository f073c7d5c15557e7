"""The computations behind the Pitfalls page: each classic mistake, demonstrated with real Keras.

Every function builds tiny, explicitly seeded layers through `bilstm_lab.models.builder` (named,
never relying on Keras's global name counters, never touching global seeds) and returns the
numbers a card shows, as the pure types of `bilstm_lab.core.pitfall_results`. PyTorch figures
come from real ``torch`` when it is installed, and from shape arithmetic otherwise. The tests
assert every claim these functions make.

The page never imports this module: it submits `demo_job` to a worker process
(``worker_pool().submit("pitfall", ("padding", {}))``) and receives the result pickled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from bilstm_lab.core.analysis import (
    compare,
    keras_bias_vectors,
    recurrent_formula,
    recurrent_params,
    torch_recurrent_params,
)
from bilstm_lab.core.pitfall_results import (
    DemoStopped,
    LastStepDemo,
    LeakageDemo,
    OutputsDemo,
    PaddingDemo,
    ParamRow,
    Shape,
    StackedDemo,
    StackingDemo,
    TorchLastStep,
)
from bilstm_lab.core.presets import get_preset
from bilstm_lab.core.spec import Cell
from bilstm_lab.models.builder import (
    build_model,
    chain_model,
    seeded_bidirectional,
    seeded_cell,
    seeded_dense,
    seeded_embedding,
)
from bilstm_lab.models.verify import torch_available

#: The demonstrations draw their biases at random too: a zero bias would hide some effects.
BIAS_RANGE = 0.3


def _bi(cell: Cell, units: int, seed: int, name: str, **options: Any) -> keras.layers.Bidirectional:
    """The demonstrations' seeded, named ``Bidirectional`` (directions seeded 100 apart)."""
    return seeded_bidirectional(cell, units, name, seed, bias_range=BIAS_RANGE, **options)


def _max_abs(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def _shape(tensor: Any) -> Shape:
    """A tensor's shape as plain Python ints (never a TensorShape: results cross to the server)."""
    return tuple(None if dim is None else int(dim) for dim in tensor.shape)


# --- 1. The last time step of a bidirectional sequence is not a summary ---------------------


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
    layer = _bi(Cell.LSTM, units, seed, "lstm", return_sequences=True)
    seq = np.asarray(layer(x))  # (batch, T, 2*units)
    # The backward LSTM run on the last token alone: exactly what seq[:, -1, units:] holds.
    one_token = np.asarray(layer.backward_layer(x[:, -1:, :]))[:, -1, :]  # (batch, units)
    summary = np.concatenate([seq[:, -1, :units], seq[:, 0, units:]], axis=-1)  # (batch, 2*units)
    # The same weights with return_sequences=False: Keras's real summary.
    flat = _bi(Cell.LSTM, units, seed, "lstm_flat", return_sequences=False)
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
    """The article's ``out[:, -1, :]`` in PyTorch (real torch when installed).

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
        slip_shape=_shape(slip_out),
        intended_shape=_shape(h_summary),
        slip_leaks_across_batch=_max_abs(slip_out[0], slip_changed[0]),
        hn_vs_final_summary=_max_abs(h_summary, helper),
        last_step_vs_hn=_max_abs(out[:, -1, :], h_summary),
    )


# --- 2. merge_mode=None and return_state -----------------------------------------------------


def outputs_demo(units: int = 4, seq_len: int = 5, features: int = 3, seed: int = 0) -> OutputsDemo:
    """Run ``return_state`` and ``merge_mode=None`` on real layers and list what comes out."""
    x = np.random.default_rng(seed).normal(size=(2, seq_len, features)).astype("float32")
    lstm = _bi(Cell.LSTM, units, seed, "lstm_state", return_state=True)
    out, h_f, _c_f, h_b, _c_b = lstm(x)  # out (2, 2u); four states (2, u), never merged
    lstm_shapes = tuple(_shape(t) for t in lstm(x))
    gru = _bi(Cell.GRU, units, seed, "gru_state", return_state=True)
    gru_shapes = tuple(_shape(t) for t in gru(x))
    none = _bi(Cell.LSTM, units, seed, "lstm_none", merge_mode=None, return_sequences=True)
    none_shapes = tuple(_shape(t) for t in none(x))
    none_states = _bi(Cell.LSTM, units, seed, "lstm_none_state", merge_mode=None, return_state=True)
    return OutputsDemo(
        units=units,
        lstm_state_shapes=lstm_shapes,
        gru_state_shapes=gru_shapes,
        none_shapes=none_shapes,
        none_state_count=len(none_states(x)),
        output_is_states=_max_abs(out, np.concatenate([h_f, h_b], axis=-1)),
    )


# --- 3. Stacking needs return_sequences=True below the last layer ---------------------------


def stacking_demo(
    units: int = 4, seq_len: int = 5, features: int = 3, seed: int = 0
) -> StackingDemo:
    """Build the stack both ways with real Keras; the wrong way fails."""
    shape = (seq_len, features)
    lower = _bi(Cell.LSTM, units, seed, "lower_flat", return_sequences=False)
    flat = chain_model(shape, [lower], name="lower_flat").output  # (None, 2u): no time axis left
    error = ""
    try:
        chain_model(shape, [lower, _bi(Cell.LSTM, units, seed + 1, "upper_flat")], name="wrong")
    except ValueError as problem:
        error = str(problem).strip().splitlines()[0][:300]
    right = chain_model(
        shape,
        [
            _bi(Cell.LSTM, units, seed, "lower_seq", return_sequences=True),  # (None, T, 2u)
            _bi(Cell.LSTM, units, seed + 1, "upper_seq"),  # (None, 2u)
        ],
        name="right",
    )
    seq = right.get_layer("bi_lower_seq").output
    return StackingDemo(_shape(flat), error, _shape(seq), _shape(right.output))


# --- 4. Padding without masking ----------------------------------------------------------------


def padding_demo(
    tokens: tuple[int, ...] = (5, 3, 7), pad_to: int = 8, units: int = 4, seed: int = 0
) -> PaddingDemo:
    """Compare the BiLSTM summary of a sequence with its post-padded copy, masked and not."""
    padded = tuple(tokens) + (0,) * (pad_to - len(tokens))
    embed = seeded_embedding(10, 6, "embedding", seed, init_range=1.0)
    layer = _bi(Cell.LSTM, units, seed, "lstm_pad")
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
    layer = _bi(Cell.LSTM, 4, seed, "lstm_mask")
    embedded = seeded_embedding(10, 6, "embedding", seed, init_range=1.0, mask_zero=True)
    model = chain_model((8,), [embedded, layer], name="masked", input_name="tokens", dtype="int32")
    # The same seed draws the same table: the two embeddings are equal.
    plain = seeded_embedding(10, 6, "embedding_plain", seed, init_range=1.0)
    explicit = layer(plain(padded), mask=padded != 0)
    return _max_abs(model(padded), explicit)


# --- 5. Keras vs PyTorch parameter counts ---------------------------------------------------------


def param_counts(units: int = 16, features: int = 8) -> tuple[tuple[ParamRow, ...], bool]:
    """Count one direction of LSTM/GRU/SimpleRNN in Keras and PyTorch.

    Returns:
        The rows, and whether real torch counted the PyTorch column.
    """
    use_torch = torch_available()
    rows = []
    cases: list[tuple[str, dict[str, bool], Cell]] = [
        ("LSTM", {}, Cell.LSTM),
        ("GRU", {}, Cell.GRU),
        ("GRU(reset_after=False)", {"reset_after": False}, Cell.GRU),
        ("SimpleRNN", {}, Cell.RNN),
    ]
    for label, options, cell in cases:
        layer = seeded_cell(cell, units, f"count_{cell.value}", **options)
        layer.build((None, 5, features))
        analysis = recurrent_params(cell, units, features, **options)
        biases = keras_bias_vectors(cell, **options)
        formula = recurrent_formula(cell, units, features, biases)
        if use_torch:
            from torch import nn

            torch_cls = getattr(nn, cell.torch_name)
            torch_count = sum(p.numel() for p in torch_cls(features, units).parameters())
        else:
            torch_count = torch_recurrent_params(cell, units, features)
        rows.append(ParamRow(label, layer.count_params(), analysis, int(torch_count), formula))
    return tuple(rows), use_torch


# --- 6. The stacked second layer more than doubles ----------------------------------------------


def stacked_demo() -> StackedDemo:
    """The ``stacked-classifier`` preset's recurrent layers, from the analysis and from real Keras."""
    spec = get_preset("stacked-classifier").spec
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


def _next_token_model(bidirectional_: bool, vocab: int, units: int, seed: int) -> keras.Model:
    recurrent = (
        _bi(Cell.LSTM, units, seed + 1, "lstm", return_sequences=True)
        if bidirectional_
        else seeded_cell(
            Cell.LSTM, units, "lstm", seed + 1, bias_range=BIAS_RANGE, return_sequences=True
        )
    )  # (batch, T, units) or (batch, T, 2*units)
    model = chain_model(
        (None,),  # any length: prefixes too
        [
            seeded_embedding(vocab, 8, "embedding", seed, init_range=0.5),  # (batch, T, 8)
            recurrent,
            seeded_dense(vocab, "next_token", seed + 2, activation="softmax"),  # (batch, T, vocab)
        ],
        name="bi_next" if bidirectional_ else "uni_next",
        input_name="tokens",
        dtype="int32",
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    return model


class _StopWhenAsked(keras.callbacks.Callback):
    """Ends ``fit`` at the next batch once ``should_stop()`` is true."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        super().__init__()
        self._should_stop = should_stop

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self._should_stop():
            self.model.stop_training = True


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
    should_stop: Callable[[], bool] | None = None,
) -> LeakageDemo:
    """Train both variants briefly (seeded, CPU-cheap) and evaluate them two ways.

    Args:
        vocab: token count.
        seq_len: sequence length.
        train: training sequences.
        test: held-out sequences.
        epochs: training epochs.
        seed: seeds the data and every initializer.
        should_stop: polled between training batches (a worker's Stop); ``None``: never stop.

    Returns:
        The accuracies and a generated sample.

    Raises:
        DemoStopped: ``should_stop()`` became true; a partial result would be wrong (and the
            page caches results), so there is none.
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
            x_train[:, :-1],
            x_train[:, 1:],
            batch_size=32,
            epochs=epochs,
            shuffle=False,
            verbose=0,
            callbacks=[_StopWhenAsked(should_stop)] if should_stop is not None else None,
        )
        if should_stop is not None and should_stop():
            raise DemoStopped("the leakage demonstration was stopped while training")
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


# --- The worker entry point ---------------------------------------------------------------------

#: Demonstration name -> the function that computes it (keyword arguments from the payload).
DEMOS: dict[str, Callable[..., Any]] = {
    "last_step": last_step_demo,
    "outputs": outputs_demo,
    "stacking": stacking_demo,
    "padding": padding_demo,
    "params": param_counts,
    "stacked": stacked_demo,
    "leakage": leakage_demo,
}


def demo_job(
    payload: tuple[str, Mapping[str, Any] | Iterable[tuple[str, Any]]] | str,
    report: Callable[[Any], None],
    should_stop: Callable[[], bool],
) -> Any:
    """Worker entry point (``JOBS["pitfall"]``): compute one demonstration.

    Args:
        payload: ``(name, kwargs)`` — a `DEMOS` key and its keyword arguments (a dict or
            ``(key, value)`` pairs, e.g. ``("leakage", {"seed": 0})``) — or just the name.
        report: unused: each demonstration is one short computation (the leakage one polls
            ``should_stop`` instead).
        should_stop: the worker's Stop flag.

    Returns:
        The demonstration's result from `bilstm_lab.core.pitfall_results` (for ``params``, the
        ``(rows, used_torch)`` pair): plain numbers, strings and tuples, safe to unpickle in
        the server.

    Raises:
        ValueError: unknown demonstration name.
        DemoStopped: stopped before (or, for ``leakage``, while) computing.
    """
    del report
    name, raw_kwargs = (payload, {}) if isinstance(payload, str) else payload
    if name not in DEMOS:
        raise ValueError(f"demonstration must be one of {', '.join(DEMOS)}, received {name!r}")
    kwargs = dict(raw_kwargs)
    if should_stop():
        raise DemoStopped(f"the {name} demonstration was stopped before it started")
    if name == "leakage":
        kwargs["should_stop"] = should_stop
    return DEMOS[name](**kwargs)
