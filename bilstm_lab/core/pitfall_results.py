"""What the Pitfalls demonstrations compute: pure, immutable, picklable result types.

`bilstm_lab.models.demos` computes these in a worker process with real Keras (and torch);
the Pitfalls page unpickles and shows them in the server. So they hold numbers, strings,
tuples and shapes only, never a Keras or torch object, and this module imports neither:
unpickling a result must not load TensorFlow into the Streamlit process.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A tensor shape; ``None`` for an unknown dimension.
Shape = tuple[int | None, ...]

#: The demonstrations by job name (`bilstm_lab.models.demos.demo_job`'s first payload item),
#: in the order of the page's cards.
DEMO_NAMES = ("last_step", "outputs", "stacking", "padding", "params", "stacked", "leakage")


class DemoStopped(RuntimeError):
    """A demonstration was asked to stop (its page went away) before it finished."""


# --- 1. The last time step of a bidirectional sequence is not a summary --------------------------


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


# --- 2. merge_mode=None and return_state ---------------------------------------------------------


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


# --- 3. Stacking needs return_sequences=True below the last layer --------------------------------


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


# --- 4. Padding without masking ------------------------------------------------------------------


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


# --- 5. Keras vs PyTorch parameter counts --------------------------------------------------------


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


# --- 6. The stacked second layer more than doubles -----------------------------------------------


@dataclass(frozen=True)
class StackedDemo:
    """The ``stacked-classifier`` preset: per recurrent layer, LSTM vs BiLSTM parameters.

    Attributes:
        rows: ``(name, uni_params, bi_params, keras_uni, keras_bi, uni_width, bi_width)`` per
            recurrent layer: the analysis's counts, real Keras's, and each layer's input width.
    """

    rows: tuple[tuple[str, int, int, int, int, int, int], ...]


# --- 7. Future leakage ---------------------------------------------------------------------------


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
