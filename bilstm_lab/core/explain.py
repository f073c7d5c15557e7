"""Every sentence the lab says about numbers and results, in one place.

Computation modules return numbers; the pages, the CLI and the notebook API ask this module
for the words, so a phrase is written once and the same figure is always rounded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from bilstm_lab.core.analysis import (
    Comparison,
    LayerRatio,
    LayerRow,
    has_torch_equivalent,
    same_growth_runs,
    spec_bias_vectors,
)
from bilstm_lab.core.connectivity import Reading
from bilstm_lab.core.formatting import (
    accuracy,
    factor,
    fmt,
    format_shape,
    percent,
    points,
    small_difference,
)
from bilstm_lab.core.passes import Direction, Phase
from bilstm_lab.core.results import Progress, TrainResult
from bilstm_lab.core.spec import Cell, MergeMode, ModelSpec, TokenInput
from bilstm_lab.core.tasks import TASKS, Task
from bilstm_lab.core.torch_states import Dim, TorchStates
from bilstm_lab.core.train_config import StopReason, TrainConfig
from bilstm_lab.core.verdict import LUCKY, Assessment, Outcome, StepGroup, Tone, assessment

# --- the architecture ---------------------------------------------------------------------------


def describe(spec: ModelSpec) -> str:
    """One line describing a spec in the terms of its fields."""
    units = ", ".join(str(u) for u in spec.units)
    head = f", Dense({spec.head.units}, {spec.head.activation})" if spec.head else ""
    if isinstance(spec.input, TokenInput):
        vocab = fmt(spec.input.vocab)
        tokens = _count_text(spec.input.seq_len, "token ids")
        input_text = f"{tokens}, vocab {vocab}, embedding {spec.input.width}"
    else:
        input_text = f"{_count_text(spec.input.seq_len, 'steps')} × {spec.input.width} features"
    options = "".join(f", {name}={value}" for name, value in spec.cell_options.items())
    return (
        f"{spec.cell.keras_name}({units}){head} on {input_text}, batch {spec.batch_size}; "
        f"return_sequences={spec.return_sequences}, return_state={spec.return_state}, "
        f"merge_mode={spec.merge_mode.value}{options}"
    )


def _count_text(seq_len: int | None, noun: str) -> str:
    """``10 steps``, or ``any number of steps (T = None)`` for a variable length."""
    return f"any number of {noun} (T = None)" if seq_len is None else f"{seq_len} {noun}"


def ratio_reason(ratio: LayerRatio) -> str:
    """Why a layer's parameters grow by the ratio they do when the model goes bidirectional."""
    if ratio.recurrent:
        copies = "two independent copies (forward and backward)"
        if not ratio.widened:
            return f"{copies} of the same layer: exactly 2×"
        return (
            f"{copies}, and each one's input widened from {ratio.uni_input_width} to "
            f"{ratio.bi_input_width} because the layer below concatenates its two directions"
        )
    return (
        f"its input widened from {ratio.uni_input_width} to {ratio.bi_input_width} "
        "(the concatenated forward and backward outputs)"
    )


def layer_span(run: Sequence[LayerRatio]) -> str:
    """One layer's name, or a run of layers: ``bilstm_2 – bilstm_6 (5 layers)``."""
    if len(run) == 1:
        return run[0].name
    return f"{run[0].name} – {run[-1].name} ({len(run)} layers)"


def parameter_headline(comparison: Comparison) -> str:
    """One sentence: the recurrent ratio, then each run of layers that grows by other than 2×."""
    parts = [
        f"**{comparison.bi.label}: {comparison.recurrent_ratio:.2f}× the recurrent parameters**"
    ]
    for run in same_growth_runs(comparison.layer_ratios()):
        ratio = run[0]
        if ratio.widened:
            whose = "its" if len(run) == 1 else "each one's"
            parts.append(
                f"{ratio.ratio:.2f}× in {layer_span(run)} because {whose} input widened "
                f"from {ratio.uni_input_width} to {ratio.bi_input_width}"
            )
    return ", ".join(parts) + "."


def growth_reasons(comparison: Comparison) -> list[str]:
    """The "Why" list: one Markdown bullet per run of layers that grow alike."""
    bullets = []
    for run in same_growth_runs(comparison.layer_ratios()):
        ratio, each = run[0], "" if len(run) == 1 else " each"
        bullets.append(
            f"- **{layer_span(run)}**: {fmt(ratio.uni_params)} → {fmt(ratio.bi_params)} "
            f"(**{ratio.ratio:.2f}×**){each}: {ratio_reason(ratio)}."
        )
    return bullets


#: What a table shows instead of a PyTorch count when PyTorch has no equivalent layer.
NO_TORCH_EQUIVALENT = "no equivalent"


def torch_count(count: int | None) -> str:
    """A PyTorch parameter count for a table: the number, or `NO_TORCH_EQUIVALENT`."""
    return NO_TORCH_EQUIVALENT if count is None else fmt(count)


EXPLORER_INTRO = (
    "Change any control in the sidebar: the plain and the bidirectional variant update side "
    "by side. Every number is computed in pure Python; **Verify with real Keras** builds both "
    "models and checks them."
)
#: The Explorer's intro on a locked classroom link (no controls to change).
EXPLORER_LOCKED_INTRO = (
    "The plain and the bidirectional variant of one model, side by side. Every number is "
    "computed in pure Python and checked against real Keras by the lab's tests."
)


def stack_caption(uni: str, bi: str) -> str:
    """The line above the two layer stacks: how to read the picture."""
    return (
        f"Shapes on the arrows. Each {uni} layer sits level with the two directions of its "
        f"{bi} twin, so the picture reads across, layer by layer."
    )


# --- downloads for slides ------------------------------------------------------------------------

#: The size of every PNG download, as the buttons state it.
SLIDE_SIZE_TEXT = "1920×1080"
DOWNLOAD_SVG_LABEL = "Diagram (SVG)"
DOWNLOAD_SVG_HELP = "The layer stacks as a vector picture: scales to any slide, text stays text."
DOWNLOAD_PNG_LABEL = f"Diagram (PNG, {SLIDE_SIZE_TEXT})"
DOWNLOAD_PNG_HELP = (
    f"The layer stacks as a {SLIDE_SIZE_TEXT} image (full HD, 16:9): one projector slide."
)
DOWNLOAD_UNROLLED_SVG_HELP = "The unrolled picture as a vector image: scales to any slide."
DOWNLOAD_UNROLLED_PNG_HELP = (
    f"The unrolled picture as a {SLIDE_SIZE_TEXT} image: one projector slide."
)
DOWNLOAD_MODEL_GRAPH_SVG_HELP = (
    "This model's layer graph as a vector picture: scales to any slide, text stays text."
)
DOWNLOAD_MODEL_GRAPH_PNG_HELP = (
    f"This model's layer graph as a {SLIDE_SIZE_TEXT} image: one projector slide."
)


def model_graph_title(name: str, converted: bool) -> str:
    """The heading of a downloaded model graph: the model's name, and before or after."""
    return f"{name}, {'after' if converted else 'before'} conversion"


DOWNLOAD_LATEX_LABEL = "Formulas (LaTeX)"
DOWNLOAD_LATEX_HELP = (
    "The parameter formulas of both variants, one align* block each (needs amsmath)."
)


def torch_difference(model: Cell | ModelSpec) -> str:
    """One sentence on how PyTorch's count of the recurrent layers relates to Keras's.

    Also the ``torch_note`` the CLI's JSON gives where PyTorch has no equivalent.

    Args:
        model: the spec; a bare cell stands for that cell with Keras's defaults.
    """
    spec = model if isinstance(model, ModelSpec) else ModelSpec(cell=model)
    if not has_torch_equivalent(spec):
        return (
            "Keras's GRU with reset_after=False applies the reset gate before the recurrent "
            "kernel; PyTorch's GRU always applies it after (as reset_after=True does), so "
            "PyTorch has no equivalent layer and there is no PyTorch count to give."
        )
    if not spec.use_bias:
        return (
            "With use_bias=False Keras keeps no bias vector, and PyTorch's bias=False drops "
            "both b_ih and b_hh, so the counts agree."
        )
    if spec.cell.has_reset_after:
        return (
            "Keras's GRU defaults to reset_after=True, which keeps two bias vectors (input and "
            "recurrent) just as PyTorch's b_ih and b_hh, so the counts agree."
        )
    extra = "4·u" if spec.cell is Cell.LSTM else "u"
    # Not opening with "PyTorch": the callers put "PyTorch:" or "Keras vs PyTorch:" before it.
    return (
        f"Each direction of each {spec.cell.torch_name} layer has {extra} more parameters in "
        "PyTorch, which keeps two bias vectors (b_ih and b_hh) where Keras keeps one."
    )


def weight_blocks(spec: ModelSpec, gate_names: Sequence[str]) -> str:
    """What each direction of a recurrent layer is made of (Markdown, for the Explorer)."""
    gates = len(gate_names)
    biases = spec_bias_vectors(spec)
    parts = "an **input kernel** (d×u), a **recurrent kernel** (u×u)"
    article = "an" if spec.cell is Cell.LSTM else "a"  # read aloud: "an el-es-tee-em", "a GRU"
    bias = {
        0: " and no bias (use_bias=False)",
        1: " and a **bias**",
        2: " and two **biases** (input and recurrent: reset_after=True)",
    }[biases]
    return (
        f"Each direction of {article} {spec.cell.keras_name} layer has **{gates} weight block"
        f"{'s' if gates > 1 else ''}** ({', '.join(gate_names)}), and each block has {parts}"
        f"{bias}. The bidirectional variant has a forward and a backward copy of all of it."
    )


# --- the two passes, step by step (`bilstm_lab.render.unrolled_steps`) -------------------------

#: The step-through figure's title (the static picture stays the default view).
STEP_THROUGH_TITLE = "Step through the two passes"
STEP_THROUGH_HELP = (
    "Press Play, or drag the slider: the forward chain fills left to right, the backward "
    "chain right to left, then the outputs. The inputs the newest state has read light up."
)


def step_through_heading(bidirectional: bool) -> str:
    """The toggle's label and the animated figure's title prefix: a plain layer has one pass."""
    return STEP_THROUGH_TITLE if bidirectional else "Step through the forward pass"


def step_through_help(bidirectional: bool) -> str:
    """The toggle's help, for the passes the variant has."""
    if bidirectional:
        return STEP_THROUGH_HELP
    return (
        "Press Play, or drag the slider: the chain fills left to right, then the outputs. The "
        "inputs the newest state has read light up."
    )


#: The slider's prefix before the current step's label.
STEP_PREFIX = "Step: "
PLAY_LABEL = "Play"
PAUSE_LABEL = "Pause"

_ARROW = {Direction.FORWARD: "→", Direction.BACKWARD: "←"}
#: The name of an ellipsis column (the steps a picture does not draw).
STEPS_NOT_DRAWN = "…"


def pass_tick(direction: Direction | None, step: str) -> str:
    """A slider label: ``h→₃`` for a state (plotly's HTML subset, written as the frame's caption
    writes it), or ``step`` as it is (the ellipsis of the steps not drawn)."""
    if direction is None or step == STEPS_NOT_DRAWN:
        return step
    return f"h{_ARROW[direction]}<sub>{step}</sub>"


def pass_last_tick(phase: Phase, merged: bool) -> str:
    """The slider label of the last frame: the merge, the outputs, or the returned states."""
    if phase is Phase.RETURNED:
        return "returned"
    return "merge" if merged else "outputs"


def pass_caption(
    phase: Phase,
    step: str,
    first: str,
    last: str,
    merge: str | None,
    bidirectional: bool = True,
    x: str = "x",
) -> str:
    """The sentence drawn on one frame of the step-through (short: a figure never wraps it).

    Args:
        phase: what the frame adds.
        step: the new state's step (forward and backward frames).
        first: the first step's name (``1``).
        last: the last step's name (``6``, or ``T``).
        merge: the merge mode's value, ``None`` when the directions are not merged.
        bidirectional: the picture has a backward chain.
        x: the inputs' name (``h`` when the layer reads the one below).
    """
    if phase in (Phase.FORWARD, Phase.BACKWARD):
        forward = phase is Phase.FORWARD
        name = "Forward pass" if forward else "Backward pass"
        if step == STEPS_NOT_DRAWN:
            return f"{name}: {'on' if forward else 'back'} through the steps not drawn"
        start = first if forward else last
        read = f"{x}<sub>{start}</sub> … {x}<sub>{step}</sub>" if step != start else f"{x}<sub>{step}</sub> only"  # fmt: skip
        return f"{name}: h{_ARROW[Direction(phase.value)]}<sub>{step}</sub> has read {read}"
    if phase is Phase.RETURNED:
        if not bidirectional:
            return f"Returned: the state at t={last}, which has read every input"
        return f"Returned: h→<sub>{last}</sub> and h←<sub>{first}</sub>, each has read every input"
    if not bidirectional:
        return f"Outputs: y<sub>t</sub> = h<sub>t</sub>, which has read {x}<sub>{first}</sub> … {x}<sub>t</sub> only"  # fmt: skip
    if merge is None:
        return "Outputs: the two chains come out as two sequences (merge_mode=None)"
    return f"Merge ({merge}): each y<sub>t</sub> joins h→<sub>t</sub> and h←<sub>t</sub>: it sees every input"  # fmt: skip


def _torch_shape(shape: tuple[Dim, ...]) -> str:
    """A PyTorch shape with its open dimensions named: ``(batch, 10, 128)``."""
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


#: The heading of the PyTorch view beside the step-through (Markdown).
TORCH_VIEW_TITLE = "**In PyTorch: `output` vs `h_n`** (bidirectional)"


def torch_module_line(states: TorchStates) -> str:
    """Which PyTorch module the ``output``/``h_n`` view describes (Markdown)."""
    layers = f", num_layers={states.num_layers}" if states.num_layers > 1 else ""
    module = (
        f"`nn.{states.module}({states.input_size}, {states.hidden}{layers}, "
        "bidirectional=True, batch_first=True)`"
    )
    if states.stacked:
        whole = "The stack as one PyTorch module" if states.num_layers > 1 else "In PyTorch"
        return f"{whole}, {module}, returns:"
    return (
        "PyTorch's num_layers needs one hidden size in every layer and always passes both "
        "directions up side by side (concat), so this stack takes one module per layer. "
        f"The top layer's module, {module}, returns:"
    )


def torch_output_line(states: TorchStates) -> str:
    """What ``output`` holds (Markdown)."""
    hidden = states.hidden
    return (
        f"- `output`, shape `{_torch_shape(states.output_shape)}`: the top layer at every step, "
        f"forward in `output[..., :{hidden}]`, backward in `output[..., {hidden}:]`."
    )


def torch_h_n_line(states: TorchStates) -> str:
    """What ``h_n`` (and ``c_n``) hold (Markdown)."""
    cell = " `c_n` has the same shape and indices." if states.has_cell_state else ""
    return (
        f"- `h_n`, shape `{_torch_shape(states.h_n_shape)}`: every layer's final state in each "
        f"direction, at index layer×2 + direction (0 forward, 1 backward).{cell}"
    )


def torch_trap(states: TorchStates) -> str:
    """The mix-up this view exists for: the last step of ``output`` is not the summary."""
    hidden, forward, backward = states.hidden, states.last_forward, states.last_backward
    return (
        f"**The trap:** `output[:, -1, {hidden}:]` is the backward chain after ONE step (it has "
        f"read only the last input), not its summary. The backward summary is "
        f"`output[:, 0, {hidden}:]` == `h_n[{backward}]` (= `h_n[-1]`, the top layer's backward "
        f"final state); the forward one is `output[:, -1, :{hidden}]` == `h_n[{forward}]`. "
        "Keras's return_sequences=False merges exactly these two."
    )


def h_n_rows(states: TorchStates) -> list[dict[str, str]]:
    """One table row per index of ``h_n``: which layer and direction it holds."""
    top = states.num_layers - 1
    hidden = states.hidden
    equals = {
        states.last_forward: f"output[:, -1, :{hidden}]",
        states.last_backward: f"output[:, 0, {hidden}:]",
    }
    return [
        {
            "index": f"h_n[{row.index}]",
            "layer": f"{row.layer} ({row.keras_layer}{', top' if row.layer == top and top > 0 else ''})",
            "direction": row.direction.value,
            "equals": equals.get(row.index, "— (a lower layer: not in output)"),
        }
        for row in states.indices
    ]


# --- reports the CLI and the notebook API share -----------------------------------------------


def recurrent_growth(uni_params: int, bi_params: int) -> str:
    """How the recurrent layers' parameters grow from the plain to the bidirectional variant."""
    return f"Recurrent parameters: {fmt(uni_params)} → {fmt(bi_params)} ({factor(bi_params / uni_params)})."


def layer_growth(layer: LayerRatio) -> str:
    """One layer's growth factor and the reason for it."""
    return f"{layer.name}: {factor(layer.ratio)} — {ratio_reason(layer)}."


def torch_line(spec: ModelSpec) -> str:
    """The report's PyTorch line: how its counts relate to Keras's for this spec."""
    return f"PyTorch: {torch_difference(spec)}"


def fresh_layers(
    names: Sequence[str], markdown: bool = False, backward: Collection[str] = ()
) -> str:
    """A conversion's layers that start from new random weights, to be retrained (the Convert
    page, the CLI and the notebook API): ``Freshly initialised — retrain these: the backward
    half of bi_lstm_1, bi_lstm_2, dense``.

    Args:
        names: the paths of every layer with new weights, in model order.
        markdown: set each name as code (for the page); plain text otherwise.
        backward: those of ``names`` whose backward direction alone is new (a warm-started
            wrapper: its forward direction is the original layer).
    """
    shown = []
    for name in names:
        text = f"`{name.replace('`', '')}`" if markdown else name
        shown.append(f"the backward half of {text}" if name in backward else text)
    return "Freshly initialised — retrain these: " + ", ".join(shown)


#: The Convert page's colour key, above its Before/After diagrams: what each box colour says
#: about a layer's weights (``unchanged`` keeps the first diagram's plain boxes explained).
CONVERT_KEY_TITLE = "Colours in the diagrams:"
CONVERT_KEY = {
    "unchanged": "unchanged, original weights",
    "kept": "converted, original weights",
    "backward": "converted: forward half original, backward half new",
    "fresh": "new weights: retrain",
}


def converted_model_name(title: str) -> str:
    """Which model the Convert page shows (a locked link hides the picker that names it)."""
    return f"Example model: **{title}**"


# --- training results ---------------------------------------------------------------------------


def variant_names(config: TrainConfig) -> tuple[str, str]:
    """Display names ``(bidirectional, unidirectional)``, e.g. ``("BiLSTM", "LSTM")``."""
    return cell_variant_names(Cell(config.cell))


def cell_variant_names(cell: Cell) -> tuple[str, str]:
    """Display names ``(bidirectional, unidirectional)`` of a cell's two variants."""
    return cell.variant_name(True), cell.variant_name(False)


@dataclass(frozen=True)
class Verdict:
    """What the lab concludes from a run.

    Attributes:
        tone: how to frame it (a success box, a warning box, plain information).
        lines: sentences, the conclusion first.
    """

    tone: Tone
    lines: tuple[str, ...]


def verdict(result: TrainResult) -> Verdict:
    """The one verdict of a run, computed from its numbers and its task's rule.

    `bilstm_lab.core.verdict.assess` decides one outcome; this words it, then adds what the
    per-step accuracies show. Every accuracy is rounded as the page's tiles round it.

    Args:
        result: a finished (or stopped) run.

    Returns:
        The verdict.
    """
    judged = assessment(result)
    names = variant_names(result.config)
    lines = [_HEADLINES[judged.outcome](result, judged, names)]
    lines += _step_lines(result.config.target_delay, judged, names)
    delay = result.config.target_delay
    if delay and judged.outcome is not Outcome.DELAY_CATCHES_UP:
        lines.append(
            f"With a target delay of {delay}, the {names[1]} answers {_steps(delay)} late: it "
            "may read that far ahead, at the cost of latency."
        )
    if result.reason != StopReason.FINISHED:
        lines.append(f"Training ended early ({result.reason}) after {result.epochs_done} epoch(s).")
    return Verdict(judged.tone, tuple(lines))


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"


def _future_wins(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"The {names[0]} wins by {points(result.acc_bi, result.acc_uni)} points: its backward "
        f"direction has already read the answers the {names[1]} cannot see yet."
    )


def _leakage(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"Leakage, not skill: the {names[0]}'s lead of {points(result.acc_bi, result.acc_uni)} "
        "points comes from its backward direction reading the very token it must predict — a "
        "token that does not exist yet when generating text."
    )


def _delay_catches_up(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    late = _steps(result.config.target_delay)
    return (
        f"Answering {late} late, the {names[1]} has read what it needs and keeps up with the "
        f"{names[0]} ({accuracy(result.acc_uni)} against {accuracy(result.acc_bi)}) — at the "
        f"price of {late} of latency."
    )


def _both_solve(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"Both score about the same ({names[0]} {accuracy(result.acc_bi)}, {names[1]} "
        f"{accuracy(result.acc_uni)}): the answers lie in what the {names[1]} has already "
        "read, so the future adds nothing here."
    )


def _neither_learned(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"Neither variant has learned the task yet ({names[0]} {accuracy(result.acc_bi)}, "
        f"{names[1]} {accuracy(result.acc_uni)}, chance {accuracy(result.chance)}): train for "
        "more epochs, with more samples or a larger learning rate."
    )


def _bi_learning(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"The {names[0]} has not learned the task yet ({accuracy(result.acc_bi)}, where it "
        f"could reach {accuracy(1.0)}): train for more epochs or with more samples."
    )


def _uni_learning(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"The {names[0]} leads by {points(result.acc_bi, result.acc_uni)} points, but not "
        f"thanks to the future: the {names[1]} could reach {accuracy(judged.best_uni)} here and "
        f"is at {accuracy(result.acc_uni)} — it has not learned the task yet. Train for more "
        "epochs."
    )


def _uni_ahead(result: TrainResult, judged: Assessment, names: tuple[str, str]) -> str:
    return (
        f"The {names[1]} is ahead by {points(result.acc_uni, result.acc_bi)} points: the "
        f"{names[0]} has not learned the task yet. Train for more epochs or check the settings."
    )


_HEADLINES: dict[Outcome, Callable[[TrainResult, Assessment, tuple[str, str]], str]] = {
    Outcome.FUTURE_WINS: _future_wins,
    Outcome.LEAKAGE: _leakage,
    Outcome.DELAY_CATCHES_UP: _delay_catches_up,
    Outcome.BOTH_SOLVE: _both_solve,
    Outcome.NEITHER_LEARNED: _neither_learned,
    Outcome.BI_LEARNING: _bi_learning,
    Outcome.UNI_LEARNING: _uni_learning,
    Outcome.UNI_AHEAD: _uni_ahead,
}


def _step_lines(delay: int, judged: Assessment, names: tuple[str, str]) -> list[str]:
    """What the per-step accuracies show: where the answer is still unread, and where read."""
    lines = []
    unread, read = judged.unread, judged.read
    if unread is not None:
        where = "Answer ahead" if not delay else f"Answer more than {_steps(delay)} ahead"
        lines.append(
            f"{where} (t = {_ranges(unread.steps)}): {names[0]} {accuracy(unread.bi)}, "
            f"{names[1]} {accuracy(unread.uni)}{_against_best(unread)}."
        )
    if read is not None:
        lines.append(
            f"Answer already read (t = {_ranges(read.steps)}): {names[0]} {accuracy(read.bi)}, "
            f"{names[1]} {accuracy(read.uni)}."
        )
    return lines


def _against_best(group: StepGroup) -> str:
    """The ceiling beside a score, worded so a noisy score never seems to beat it."""
    best = accuracy(group.best)
    if accuracy(group.uni) == best or group.uni < group.best:
        return f" — the best possible reading left to right is {best}"
    if group.uni <= group.best + LUCKY:
        return f" — that is the best possible reading left to right ({best}), up to sampling noise"
    return (
        f" — above the {best} a model reading left to right can expect: these held-out "
        "sequences happened to be easy to guess"
    )


def _ranges(steps: Sequence[int]) -> str:
    """``[0,1,2,5]`` -> ``"0–2, 5"``."""
    parts: list[str] = []
    start = prev = int(steps[0])
    for step in [int(s) for s in steps[1:]] + [None]:
        if step is not None and step == prev + 1:
            prev = step
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if step is not None:
            start = prev = step
    return ", ".join(parts)


# --- number controls: their ranges, and a value outside them -----------------------------------


def _amount(value: float) -> str:
    """A bound or a typed value as the page writes it: ``4,096``, ``0.001``."""
    return fmt(value) if isinstance(value, int) else f"{value:,g}"


def value_range(low: float, high: float) -> str:
    """A control's range in short: ``1–4,096``."""
    return f"{_amount(low)}–{_amount(high)}"


def range_help(low: float, high: float, about: str = "", choices: Sequence[float] = ()) -> str:
    """A number control's help: what it sets (``about``, if given), then its range.

    Args:
        low: the smallest value the control takes; ints for a whole-number control.
        high: the largest value the control takes.
        about: a sentence on what the control sets, put before the range.
        choices: the values of a control that offers a fixed set of them.
    """
    whole = isinstance(low, int) and isinstance(high, int)
    if choices:
        values = f"Range: {value_range(low, high)}; the choices are "
        values += ", ".join(_amount(choice) for choice in choices) + "."
    else:
        values = f"Range: {value_range(low, high)}" + (" (whole numbers)." if whole else ".")
    return f"{about} {values}" if about else values


def out_of_range(label: str, value: object, low: float, high: float) -> str:
    """What is wrong with a value typed into a number control, naming the control and its range:
    ``units, layer 1 must be a whole number from 1 to 4,096 — 5,000 is too large``.

    Args:
        label: the control's label, as the page shows it.
        value: the value received (``None`` for an empty box).
        low: the smallest value allowed; ints for a whole-number control.
        high: the largest value allowed.
    """
    whole = isinstance(low, int) and isinstance(high, int)
    if value is None:
        problem = "the box is empty"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        problem = f"{str(value)[:40]!r} is not a number"
    elif value > high:
        problem = f"{_amount(value)} is too large"
    elif value < low:
        problem = f"{_amount(value)} is too small"
    elif whole and not float(value).is_integer():
        problem = f"{_amount(value)} is not a whole number"
    else:
        problem = f"received {_amount(value)}"
    kind = "a whole number" if whole else "a number"
    return f"{label} must be {kind} from {_amount(low)} to {_amount(high)} — {problem}"


# --- the Training Lab page and `bilstm_lab train` -----------------------------------------------


def training_lab_intro(names: tuple[str, str]) -> str:
    """What Train does, on an empty Training Lab; ``names`` as `variant_names` gives them."""
    return (
        f"**Train** fits a plain {names[1]} and a {names[0]} on the same batches, then shows at "
        "which time steps the future context helps."
    )


TASK_HELP = (
    "Each task states its rule; the ones that need the future cannot be solved by a model "
    "that reads left to right only. Choosing a task loads the settings its lesson needs."
)
K_UNUSED = "k: not used by this task"
TARGET_DELAY_HELP = (
    "Graves & Schmidhuber (2005): instead of reading the future, the unidirectional model waits "
    f"d steps before answering. On “{TASKS['look_ahead'].name}” it catches up once d ≥ k — at "
    "the price of d steps of latency."
)
RUN_NUMBER_HELP = "The same number repeats a run exactly: same starting weights, same data."


def match_params_help(names: tuple[str, str]) -> str:
    """The parameter-matching toggle's help; ``names`` as `variant_names` gives them."""
    return (
        f"Widen the {names[1]} until it has as many parameters as the {names[0]}, so the "
        f"{names[0]}'s win cannot be put down to its extra weights."
    )


SAMPLE_CAPTION = (
    "A held-out sequence: each model's answer at each step; a wrong answer is marked × and "
    "shaded red."
)


def match_params_label(names: tuple[str, str]) -> str:
    """The parameter-matching toggle's label: ``Parameter-matched LSTM``."""
    return f"Parameter-matched {names[1]}"


def runs_caption(names: tuple[str, str]) -> str:
    """The line under the runs table; ``names`` as `variant_names` gives them."""
    match_label = match_params_label(names)
    return (
        f"Try the target-delay trade-off: on “{TASKS['look_ahead'].name}”, run with d = 0, then "
        f"d = k. With d ≥ k the {names[1]} catches up — but it answers d steps late. Toggle "
        f"“{match_label}” to rule out the {names[0]}'s extra weights as the reason it wins."
    )


LINK_FALLBACK = "This link had settings the lab cannot use, so they fell back to defaults:"
LOCKED_NOTE = "Settings fixed by this link"
SETTINGS_NOTE = "Settings"


def task_summary(task: Task, markdown: bool = True) -> str:
    """The task's rule, whether it needs the future and its kind of label (Markdown, or plain
    text for a terminal)."""
    bold = "**" if markdown else ""
    label = "one per time step" if task.per_step else "one per sequence"
    future = "yes" if task.needs_future else "no"
    return (
        f"{bold}{task.name}{bold} — {task.rule}. {bold}Needs the future:{bold} {future} · "
        f"{bold}Label:{bold} {label}"
    )


def step_chart_caption(names: tuple[str, str], delay: int) -> str:
    """What the per-step chart's shading and bands mean."""
    late = f", answering {_steps(delay)} late" if delay else ""
    return (
        f"Shaded steps: the answer is (at least partly) ahead of what the {names[1]} has read"
        f"{late}. The grey band is the best any model reading left to right can do at each "
        "step, computed from the task's rule."
    )


def unread_mark_note(names: tuple[str, str]) -> str:
    """The key under the CLI's per-step table."""
    return f"* the answer is (at least partly) ahead of what the {names[1]} has read"


def hidden_states_caption(names: tuple[str, str]) -> str:
    """What the hidden-state heatmaps show."""
    return (
        "Each column is a time step. The forward direction at t has read tokens 0…t, the "
        "backward direction has read t…T−1 — so an answer that lies ahead is already in the "
        f"backward state at t. The {names[0]}'s output layer reads both."
    )


# --- connectivity (which input steps each output depends on) -------------------------------------


def connectivity_titles(names: tuple[str, str]) -> tuple[str, str, str]:
    """The three heatmaps' titles: unidirectional, forward direction, backward direction."""
    return names[1], f"{names[0]}, forward direction", f"{names[0]}, backward direction"


def _share(fraction: float) -> str:
    """A share of weight; "none" only when it is exactly zero, "<1%" when it rounds to zero."""
    if fraction != fraction:  # NaN: an all-zero map
        return "–"
    if fraction == 0:
        return "none"
    return "<1%" if fraction < 0.005 else percent(fraction)


def _offset(offset: int) -> str:
    """``s = t+3``, ``s = t−2``, ``s = t``."""
    return "s = t" if offset == 0 else f"s = t{'+' if offset > 0 else '−'}{abs(offset)}"


def connectivity_reading(reading: Reading, names: tuple[str, str]) -> str:
    """One line read from the maps: the weight on later inputs per map and, for a task whose
    answer sits at a fixed offset, where the map that should find it has its strongest input."""
    titles = (names[1], f"{names[0]} forward", f"{names[0]} backward")
    shares = ", ".join(f"{t} {_share(f)}" for t, f in zip(titles, reading.future, strict=True))
    line = f"Weight on later inputs (s > t): {shares}{_future_lesson(reading.future, names)}."
    found = reading.answer_peak
    if found is None or reading.answer_offset is None:
        return line
    where = (
        names[1] if reading.answer_map == "unidirectional" else f"{names[0]}'s backward direction"
    )
    who = f"In the {where}, the"
    answer = _offset(reading.answer_offset)
    if found.offset == reading.answer_offset:
        return (
            f"{line} {who} strongest input sits at {answer}, where the answer lies, in "
            f"{found.rows} of {found.of} steps."
        )
    return (
        f"{line} {who} strongest input sits most often at {_offset(found.offset)} "
        f"({found.rows} of {found.of} steps); the answer lies at {answer}."
    )


def _future_lesson(future: tuple[float, ...] | list[float], names: tuple[str, str]) -> str:
    """What the shares mean: which maps bring the future in (exact zeros are causality)."""
    reads = [share > 0 for share in future]
    if reads == [False, False, True]:
        return f" — only the {names[0]}'s backward direction brings the future in"
    if reads == [False, True, True]:
        return f" — both directions of the {names[0]} bring the future in, through the layer below"
    if not any(reads):
        return " — no map reads the future"
    return ""


CONNECTIVITY_SKIPPED = (
    "Not computed for a model this large: its exact gradients at every pair of steps would "
    "take longer than the training. Shorter sequences or fewer units bring the maps back."
)


def connectivity_caption(names: tuple[str, str], layers: int, sequences: int) -> str:
    """What the connectivity heatmaps show, and how they are scaled."""
    if layers > 1:
        reach = (
            f"The {names[1]} fills only s ≤ t. With {layers} layers each direction of the top "
            "layer reads both halves of the layer below, so both depend on every input."
        )
    else:
        reach = (
            f"The {names[1]} and the forward direction fill only s ≤ t, the backward "
            "direction only s ≥ t."
        )
    return (
        "Row t, column s: how strongly the last recurrent layer's state at step t changes with "
        "the embedded token at step s — the gradient norm ‖∂y_t/∂x_s‖, averaged over "
        f"{sequences} held-out sequences. One colour scale for all three maps. Grey cells are "
        f"exactly zero: no path leads from that input to that output. {reach}"
    )


def training_progress(progress: Progress, stopping: bool = False) -> str:
    """The progress line under the bar (page and CLI)."""
    if not progress.batch:
        return TRAINING_STARTING
    text = (
        f"Epoch {progress.epoch}/{progress.epochs} · batch {progress.batch}/{progress.batches} · "
        f"{progress.seconds:.1f} s"
    )
    return text + (" — stopping…" if stopping else "")


def units_note(result: TrainResult) -> str:
    """The unidirectional model's width, beside its parameter count."""
    widened = " (widened to match the parameter budget)" if result.config.match_params else ""
    return f"{result.units_uni} units per layer{widened}"


def training_time_note(result: TrainResult) -> str:
    """How many epochs ran and why training ended, beside its time."""
    return f"{result.epochs_done} epoch(s), ended: {result.reason}"


def training_summary(result: TrainResult) -> str:
    """The CLI's first line after a run: what was trained, for how long."""
    config = result.config
    names = variant_names(config)
    return (
        f"{config.task_obj.name}: trained the {names[1]} and the {names[0]} for "
        f"{result.epochs_done} epoch(s) on {fmt(config.samples)} sequences in "
        f"{result.seconds:.1f} s."
    )


def locked_settings(config: TrainConfig) -> str:
    """The settings a locked link fixes, in one line (Markdown)."""
    return f"**{LOCKED_NOTE}:** {settings_line(config)}"


def current_settings(config: TrainConfig) -> str:
    """The settings Train will use, in one line (Markdown; the empty Training Lab)."""
    return f"**{SETTINGS_NOTE}:** {settings_line(config)}"


def settings_line(config: TrainConfig) -> str:
    """A run's settings in one line: ``LSTM · T = 6 · vocabulary 4 · …``."""
    params = config.params
    knobs = [f"T = {params.seq_len}", f"vocabulary {params.vocab}"]
    if config.task_obj.uses_k:
        knobs.append(f"k = {params.k}")
    if config.target_delay:
        knobs.append(f"target delay {config.target_delay}")
    knobs += [
        f"{fmt(config.samples)} samples",
        f"{config.epochs} epochs",
        f"{config.units} units",
        f"learning rate {config.learning_rate:g}",
        f"run number {config.seed}",  # the control's label ("seed" is the URL's field name)
    ]
    if config.match_params:
        knobs.append("parameter-matched")
    return f"{variant_names(config)[1]} · " + " · ".join(knobs)


# --- jobs in worker processes ------------------------------------------------------------------

TRAINING_INTERRUPTED = (
    "The training was interrupted (its worker process stopped). Press Train to run it again."
)
TRAINING_STARTING = "Starting: building both models and compiling the training step…"
TRAINING_LEFT_QUEUE = "The training left the queue before it started (stopped, or waited too long)."
JOB_INTERRUPTED = "{what} was interrupted (its worker process stopped). Try again."
SERVER_RESTARTED = (
    "The server restarted since the page this link comes from started its training: that run "
    "and its results are gone. Press Train to start the run again."
)
LEFT_SHARED_RUN = (
    "You left the shared run; it goes on for the other pages watching it. Press Train to "
    "watch it again."
)


class SharedRun:
    """How a session's result came from someone else's identical request (plain strings)."""

    JOINED = "joined"
    RECORDED = "recorded"


def shared_result(kind: str) -> str:
    """The label above a result this session did not train itself."""
    if kind == SharedRun.RECORDED:
        return (
            "Shared run: this server had already trained these exact settings and run number, "
            "so this is that run's recorded result (the same number repeats a run exactly)."
        )
    return (
        "Shared run: other pages asked for these exact settings and run number at the same "
        "time, so the server trained them once and every page watched the same run."
    )


def watching_shared_run(watchers: int) -> str:
    """The line above the live curves of a run several pages watch."""
    others = watchers - 1
    pages = "page" if others == 1 else "pages"
    if others <= 0:
        return "Shared run: the pages that joined it have left; it goes on for you."
    return (
        f"Shared run: you and {others} other {pages} asked for these exact settings — trained once."
    )


def training_refused(reason: str, limit: int) -> str:
    """Why Train did nothing: this page, or its address, already has a training going."""
    if reason == "session":
        return "This page already has a training queued or running: wait for it, or press Stop."
    runs = "one training" if limit == 1 else f"{limit} trainings"
    return (
        f"Another page from your computer already has a training queued or running, and each "
        f"computer may run {runs} at a time so that everyone gets a worker. Wait for it to "
        "finish, or stop it there; the Stop button is on that page."
    )


#: A widget sent a value no control can hold (a hand-made websocket message): it was reset.
CONTROL_RESET = "A control sent a value the lab cannot use, so it was reset to its default."


def queue_position(position: int | None, busy: int, capacity: int) -> str:
    """The queue line shown while a job waits for a worker."""
    where = f"you are number {position} in the queue" if position else "you are in the queue"
    return f"Waiting for a free worker — {where} ({busy} of {capacity} workers busy)."


def job_failed(what: str, error: BaseException | None) -> str:
    """A job ended with an unexpected error: name its type, never a traceback."""
    kind = type(error).__name__ if error is not None else "unknown error"
    return f"{what} failed ({kind}). Try again; if it fails again, change the settings."


# --- verification ------------------------------------------------------------------------------


def verification_summary(ok: bool, checked: int, mismatched: int, with_torch: bool) -> str:
    """One line saying what "Verify with real Keras" found: a sentence, with no stop, that
    needs no prefix ("Verified with Keras: all 12 numbers agree")."""
    frameworks = "Keras and PyTorch" if with_torch else "Keras"
    if ok:
        return f"Verified with {frameworks}: all {checked} numbers agree"
    return f"{mismatched} of {checked} numbers differ from {frameworks}"


# --- conversion --------------------------------------------------------------------------------

JOB_LEFT_QUEUE = "{what} left the queue before it started (the server is busy). Try again."


def conversion_check(
    size_bytes: int,
    batch_shapes: tuple[tuple[int, ...], ...],
    output_shapes: tuple[tuple[int, ...], ...],
) -> str:
    """The proof under a converted model: saved, loaded back, run (page and CLI)."""
    batch = ", ".join(str(tuple(shape)) for shape in batch_shapes)
    outputs = ", ".join(str(tuple(shape)) for shape in output_shapes)
    return (
        f"Saved ({size_bytes / 1024:,.0f} KB), loaded back with safe_mode=True, and predicted a "
        f"batch of {batch} → {outputs}."
    )


def forward_check(layers: dict[str, float], tolerance: float, unwrapped: bool = False) -> str:
    """The warm-start proof: each converted layer's forward half against the original layer.

    Args:
        layers: converted layer path -> the largest difference found over its checks.
        tolerance: the largest difference accepted.
        unwrapped: the layers were unwrapped (compared with the wrappers' forward layers).
    """
    if not layers:
        return (
            "No forward half to check: no converted layer started from the original weights "
            "(warm start off, or the layer's input width changed)."
        )
    names = ", ".join(layers)
    worst = f"largest difference {small_difference(max(layers.values()))}, tolerance {tolerance:g}"
    if unwrapped:
        return (
            f"Checked on the same batch: {names} give the original forward direction's output "
            f"({worst})."
        )
    return (
        f"Forward half checked on the same batch: for {names}, the forward direction gives the "
        f"original layer's output ({worst})."
    )


def compile_settings(
    fate: str, summary: str, part: str | None = None, name: str | None = None
) -> str:
    """What happened to the optimizer, loss and metrics (``fate``: kept, dropped, not compiled).

    Args:
        fate: the `bilstm_lab.core.conversion.CompileFate` value.
        summary: the settings in short (``optimizer Adam (learning rate 0.001), loss mse``).
        part: for a drop, which setting could not be rebuilt (``loss``, ``optimizer``…).
        name: for a drop, the name of the object that could not be rebuilt.
    """
    if fate == "kept":
        return (
            f"Compile settings kept: {summary}. The optimizer's state starts afresh (the weights "
            "it tracked changed): fit the converted model to retrain it."
        )
    if fate == "dropped":
        return (
            f"Compile settings dropped: the {part} ({name}) is not something Keras can rebuild "
            "from the file (custom code is not saved in a .keras file), so the converted model "
            "is saved uncompiled; compile it yourself before fitting."
        )
    return "Compile settings: none (the original model was not compiled)."


UNBUILT_MODEL = (
    "This model is not built yet: it has no input shape, so Keras has created no weights and "
    "every count is 0 (unbuilt). Give it an Input layer, or call model.build(), and save it again."
)


def shared_layer(name: str, calls: int) -> str:
    """A shared layer's note under the inspect table."""
    return f"{name} is shared: the model calls it {calls} times; the table shows its first call."


def bad_upload_limit(variable: str, value: str, low: int, high: int) -> str:
    """The warning for a bad upload-limit setting (the default is used instead)."""
    return (
        f"{variable}={value!r} is not a whole number of MB from {low} to {high}; "
        "using the default upload limit"
    )


def file_too_large(name: str, limit: str, variable: str, size: str) -> str:
    """A model file over the upload limit."""
    return (
        f"{name} is too large: the limit is {limit} (the server's {variable} setting), "
        f"received {size}"
    )


# --- conversion refusals (one line each, in the lab's words) ------------------------------------


def not_a_model(kind: str) -> str:
    """Something that is not a Keras model was given to the converter."""
    return f"model must be a Keras model, received {kind}"


def subclassed_model(kind: str) -> str:
    """A subclassed model: its call() is Python code, with no layer graph to rewrite."""
    return (
        "model must be a Sequential or Functional Keras model (a subclassed model has no "
        f"layer graph to rewrite), received {kind}"
    )


def unbuilt_model(name: str) -> str:
    """An unbuilt Sequential: no input shape, so nothing to run the check on."""
    return (
        "model has no defined input shape (an unbuilt Sequential, with no weights yet): give it "
        f"an Input layer or build it, save it and convert that, received model {name!r}"
    )


def nothing_to_wrap(name: str, kinds: str) -> str:
    """A model without a plain recurrent layer."""
    return (
        f"model has no LSTM, GRU or SimpleRNN layer to convert, received model {name!r} with "
        f"layers {kinds or 'none'}"
    )


def nothing_to_unwrap(name: str) -> str:
    """A model without a Bidirectional layer."""
    return f"model has no Bidirectional layer to unwrap, received model {name!r}"


def unknown_layers(what: str, offered: list[str], unknown: list[str]) -> str:
    """Names in ``--layers`` that are not layers the conversion can change."""
    return (
        f"layers must name {what} of this model ({', '.join(offered) or 'none'}; a layer inside "
        f"a nested model is named outer/inner), received {', '.join(unknown)}"
    )


def no_layers(what: str) -> str:
    """An empty ``--layers``."""
    return f"layers must name at least one {what}, received none"


def return_state_refused(name: str) -> str:
    """A recurrent layer that hands its states on (an encoder)."""
    return (
        f"layer {name!r} returns its states (return_state=True), as an encoder passing them to a "
        "decoder does; as a Bidirectional layer it would return four states instead of two and "
        "the layers using them would break. Convert the other layers (--layers), received "
        f"layer {name!r}"
    )


def go_backwards_refused(name: str) -> str:
    """A layer that already reads the sequence backwards."""
    return (
        f"layer {name!r} already reads the sequence backwards (go_backwards=True): a "
        "Bidirectional layer adds its own backward copy, so this one would read backwards "
        "twice. Rebuild it with go_backwards=False, or convert the other layers, received "
        f"layer {name!r}"
    )


def merge_none_refused(name: str) -> str:
    """merge_mode none on a layer whose output feeds another layer."""
    return (
        "merge_mode none returns two tensors (forward, backward), so it only works on a "
        "recurrent layer whose output is the model's own output; choose concat, sum, mul or "
        f"ave, received merge_mode none for layer {name!r}"
    )


def cannot_rewire(name: str, kind: str, shapes: str) -> str:
    """A layer that cannot take its input once the layers before it changed."""
    return (
        f"layer {name!r} ({kind}) cannot take its new input {shapes} once the layers before it "
        "are converted, so the converted model cannot be built; choose other layers, or a "
        f"merge mode that keeps the width (sum, mul, ave), received layer {name!r}"
    )


def choices(field: str, options: list[str], value: object) -> str:
    """A value outside a fixed set of choices."""
    return f"{field} must be one of {', '.join(options)}, received {value!r}"


# --- a conversion that fails its check (never written) -----------------------------------------


def check_failed(reason: str) -> str:
    """Why a converted model was not written."""
    return f"the converted model failed its check and was not written: {reason}"


def check_save_failed(kind: str) -> str:
    """The converted model cannot be saved."""
    return f"it cannot be saved as a .keras file ({kind})"


def check_reload_failed(error: str) -> str:
    """The saved converted model does not load back."""
    return f"it does not load back ({error})"


def check_run_failed(kind: str) -> str:
    """The reloaded converted model fails on a batch."""
    return f"loaded back, it fails on a batch of the right shape ({kind})"


def check_compare_failed(kind: str) -> str:
    """The forward halves could not be computed for the comparison."""
    return f"its forward half could not be run beside the original layer ({kind})"


def cannot_build(kind: str) -> str:
    """Keras refused to assemble the converted model (after every layer took its input)."""
    return f"the converted model cannot be assembled from its layers ({kind})"


def check_forward_mismatch(name: str, difference: float, tolerance: float) -> str:
    """A warm-started layer whose forward half is not the original layer."""
    return (
        f"the forward half of {name!r} differs from the original layer's output by "
        f"{small_difference(difference)} (tolerance {tolerance:g})"
    )


def check_weights_changed(name: str) -> str:
    """A layer reported as keeping its weights whose weights changed."""
    return f"layer {name!r} is reported as keeping its weights, but they changed"


def check_compile_lost() -> str:
    """Compile settings reported as kept are missing from the saved file."""
    return "its compile settings are reported as kept but are missing from the saved file"


def load_failed(name: str, detail: str) -> str:
    """A model file Keras could not rebuild (``detail`` says what, in the lab's words)."""
    return f"{name} could not be loaded as a Keras model: {detail}"


def unknown_keras_object(name: str) -> str:
    """The detail for a file that uses a class or function Keras does not know."""
    return (
        f"it uses {name!r}, which is not built into Keras (custom code is not saved in a .keras "
        "file, and the lab loads only built-in layers)"
    )


def unreadable_config(kind: str) -> str:
    """The detail for any other failure while Keras rebuilds a model."""
    return f"Keras could not rebuild the model from its config ({kind})"


# --- the upload guard: refusals before Keras loads a file ----------------------------------------


def _from_file(text: str, limit: int = 60) -> str:
    """A name taken from a file, quoted and cut short (a hostile one can be megabytes long)."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def rough_count(number: int) -> str:
    """A large count in words: ``4_100_000_000`` -> ``4.1 billion``; small ones in full."""
    words = ((10**15, "quadrillion"), (10**12, "trillion"), (10**9, "billion"), (10**6, "million"))
    for size, word in words:
        if number >= 10 * size:
            return f"{number // size:,} {word}"
        if number >= size:
            return f"{number / size:.2g} {word}"
    return fmt(number)


def rough_bytes(size: int) -> str:
    """A memory size to two significant digits: ``16_400_000_000`` -> ``16 GB``."""
    units = ((10**15, "PB"), (10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "KB"))
    for unit, word in units:
        if size >= 10 * unit:
            return f"{size // unit:,} {word}"
        if size >= unit:
            return f"{size / unit:.2g} {word}"
    return f"{size} bytes"


def config_too_many_weights(
    name: str, weights: int, size: int, limit: int, layer: str, kind: str, layer_weights: int
) -> str:
    """A config whose layers would make Keras allocate more weights than the lab loads."""
    largest = (
        f"; most are in layer {_from_file(layer)} ({_from_file(kind, 40)}: "
        f"{rough_count(layer_weights)})"
        if layer
        else ""
    )
    return (
        f"{name} declares about {rough_count(weights)} weights ({rough_bytes(size)}) — the lab "
        f"loads at most {rough_count(limit)}, because Keras allocates every weight before it "
        f"reads the file's values{largest}"
    )


def config_too_many_layers(name: str, limit: int) -> str:
    """A config with more layers than the lab rebuilds."""
    return (
        f"{name} has more than {fmt(limit)} layers (counting those inside nested models and "
        f"wrappers) — the lab loads at most {fmt(limit)}"
    )


def config_too_many_calls(name: str, limit: int) -> str:
    """A config whose rebuild would make Keras call layers too many times (a long Sequential)."""
    return (
        f"{name} would take Keras more than {fmt(limit)} layer calls to rebuild — the lab loads "
        "at most that many (a Sequential model with an Input rebuilds itself after every layer "
        "it adds, so 100 layers already cost 5,050 calls): save a model this long as a "
        "Functional one, keras.Model(inputs, outputs)"
    )


def config_too_deep(name: str, limit: int) -> str:
    """A config nesting models, wrappers or cells deeper than the lab follows."""
    return (
        f"{name} nests models, wrappers or cells more than {limit} levels deep — the lab loads "
        f"at most {limit} levels"
    )


def config_too_slow(name: str, seconds: float) -> str:
    """A config whose layers could not all be sized within the time limit."""
    return (
        f"{name} is too complex to check: its layers could not be sized within {seconds:g} s, "
        "so the lab does not load it"
    )


#: The detail for a config.json whose layer entries are not Keras layer configs.
MALFORMED_LAYER = "its config.json is not a Keras model config (a layer has no class or config)"


def impossible_layer_size(name: str, kind: str, key: str, value: object) -> str:
    """A layer size (units, filters, kernel_size...) that cannot describe a real layer."""
    return (
        f"{name} has a {_from_file(kind, 40)} layer with an impossible {key}, received "
        f"{_from_file(repr(value), 40)}"
    )


def layer_not_sizable(name: str, kind: str, layer: str) -> str:
    """A layer class whose weights the lab cannot count from the config."""
    return (
        f"{name} uses a {_from_file(kind, 40)} layer ({_from_file(layer)}) whose weights the lab "
        "cannot count before loading it — it checks every layer's size from the file's config "
        "before Keras allocates anything, and knows the layers of sequence models (Embedding, "
        "LSTM, GRU, SimpleRNN, RNN cells, Bidirectional, TimeDistributed, Dense, Conv1D/2D, "
        "pooling, normalization, attention, merging, reshaping and dropout layers)"
    )


def layer_input_unknown(name: str, kind: str, layer: str) -> str:
    """A weighted layer whose input width the config does not determine."""
    return (
        f"{name} has a {_from_file(kind, 40)} layer ({_from_file(layer)}) whose input width "
        "cannot be worked out from the file's config (no build_config records it), so the lab "
        "cannot count its weights before loading it"
    )


def lambda_layer(name: str) -> str:
    """A Lambda layer holding Python code."""
    return (
        f"{name} contains a Lambda layer (arbitrary Python code), which the lab refuses to load "
        "(safe_mode=True): replace the Lambda by a built-in layer and save again"
    )


def python_lambda(name: str) -> str:
    """Python code (a lambda) somewhere else in the config, e.g. as an activation."""
    return (
        f"{name} contains Python code (a lambda, for example as an activation), which the lab "
        "refuses to run (safe_mode=True): use a built-in function instead and save again"
    )


def tfsm_layer(name: str) -> str:
    """A TFSMLayer: it loads a SavedModel from a folder outside the file."""
    return (
        f"{name} contains a TFSMLayer, which loads a TensorFlow SavedModel from a folder outside "
        "the file; the lab refuses it (safe_mode=True): it loads only models whose layers are "
        "all inside the .keras file"
    )


def vocabulary_file(name: str) -> str:
    """A lookup layer that would read its vocabulary from a file on the server."""
    return (
        f"{name} has a lookup layer that reads its vocabulary from a file outside the model; the "
        "lab refuses to read files from the server's disk (safe_mode=True): give the layer its "
        "vocabulary as a list and save again"
    )


def torch_module(name: str) -> str:
    """A wrapped PyTorch module: stored as a pickle that could run code."""
    return (
        f"{name} contains a wrapped PyTorch module (TorchModuleWrapper), stored as a pickle that "
        "could run code; the lab refuses it (safe_mode=True)"
    )


def unsafe_content(name: str) -> str:
    """Anything else Keras's safe_mode refuses to load."""
    return (
        f"{name} contains something Keras's safe_mode refuses to load (code or a file outside "
        "the model); the lab loads only built-in layers saved inside the .keras file"
    )


def legacy_h5(name: str, size: int) -> str:
    """A legacy HDF5 model file: not what the lab takes."""
    return (
        f"{name} is a legacy HDF5 (.h5) model file, which the lab does not load: it takes a "
        "Keras 3 .keras file. Load the model in Keras and save it again with "
        f'model.save("model.keras"), received {fmt(size)} bytes'
    )


def no_space(name: str, action: str) -> str:
    """The server's temporary folder is full (not the file's fault)."""
    return (
        f"The server's temporary folder is full, so {name} could not be {action}: this is not a "
        "problem with the file. Try again later, or tell whoever runs the lab"
    )


JOB_OUT_OF_MEMORY = (
    "{what} needed more memory than a worker may use (its worker process was stopped, the rest "
    "of the lab is unaffected). A model within the lab's limits should fit: if this one does, "
    "tell whoever runs the lab (BILSTM_LAB_WORKER_MAX_MB)."
)


# --- pitfall demonstrations --------------------------------------------------------------------

PITFALL_INTERRUPTED = (
    "This demonstration was interrupted (its worker process stopped). Run it again: reload the "
    "page, or press the card's button."
)


def pitfall_failed(error: BaseException) -> str:
    """A demonstration ended with another error (its job's own, or it left the queue)."""
    return f"This demonstration failed: {type(error).__name__}: {error}"


# --- display: presenter mode and the locked classroom view (`bilstm_lab.ui.display`) -----------

PRESENTER_LABEL = "Presenter mode"
PRESENTER_HELP = (
    "For a projector: hides this sidebar, and makes the text and the charts larger. The page's "
    "link gets ?present=1, so you can share or bookmark it. To leave: reopen the sidebar with "
    "» at the top left and switch this off."
)
LOCKED_VIEW = (
    "Locked classroom view: controls hidden. Open this page's link without ?lock=1 to change "
    "the settings."
)


# --- the Explorer's quiz: predict, then reveal (`bilstm_lab.core.quiz`, `bilstm_lab.ui.quiz`) ----

QUIZ_LABEL = "Quiz mode"
QUIZ_HELP = (
    "Predict, then reveal: the numbers, diagrams and code are hidden and the page asks about "
    "them instead. The page's link gets ?quiz=1: share it to open straight into the quiz "
    "(add &lock=1 to hide the controls too)."
)
QUIZ_INTRO = (
    "**Predict, then reveal.** The numbers are hidden: pick an answer, then press Reveal. "
    "Switch quiz mode off to see every number."
)
#: The intro of a locked quiz link: its toggle is hidden, so the intro does not mention it.
QUIZ_LOCKED_INTRO = (
    "**Predict, then reveal.** The numbers are hidden: pick an answer, then press Reveal."
)
QUIZ_REVEAL = "Reveal"
QUIZ_RIGHT = "Right"
QUIZ_WRONG = "Not quite"

#: Why a wrong choice is wrong, by the misconception behind it (`quiz.Choice.misconception`).
QUIZ_MISCONCEPTIONS: dict[str, str] = {
    "doubled": (
        "That is exactly 2× the plain layer. It would be, if this layer read the same input in "
        "both variants; it reads the concatenated output of the layer below, twice as wide."
    ),
    "torch": (
        "That is PyTorch's count: PyTorch keeps two bias vectors per gate block (b_ih and "
        "b_hh), Keras one."
    ),
    "one_direction": (
        "That is one direction only: Bidirectional keeps two independent copies of the layer, "
        "forward and backward."
    ),
    "no_bias": "That leaves out the bias vectors.",
    "bias": "That counts bias vectors, but use_bias=False removes them.",
    "no_gates": (
        "That forgets the weight blocks: every gate (and the candidate) has its own kernel, "
        "recurrent kernel and bias."
    ),
    "guess": "That is off by a factor: the formula shows where every weight comes from.",
    "width_guess": (
        "That width is not what the merge gives: concat doubles one direction's width once; "
        "sum, mul and ave keep it."
    ),
    "no_concat": (
        "That forgets the concat: merge_mode='concat' puts the forward and backward outputs "
        "side by side, so the width doubles."
    ),
    "doubled_width": (
        "That doubles the width, but only merge_mode='concat' does: sum, mul and ave combine "
        "the two directions element by element."
    ),
    "last_step": (
        "That drops the time axis: with return_sequences=True the layer returns every step, "
        "not only the last one as a summary."
    ),
    "every_step": (
        "That keeps a time axis, but return_sequences=False returns one vector per sequence."
    ),
    "one_tensor": (
        "That leaves tensors out: merge_mode=None returns the two directions separately, and "
        "return_state adds each direction's final states."
    ),
    "causal": (
        "That is true of a plain forward layer only. The backward direction reads the sequence "
        "from its end, so it has seen what comes after each step."
    ),
    "all": "Not the last step: no input comes after it.",
    "last_step_summary": (
        "The last step of the sequence output is no summary of both directions: its backward "
        "part has read only the last input."
    ),
    "forward_only": (
        "Both directions are in the output: Bidirectional merges the backward direction's "
        "final state too."
    ),
    "one_step": "A recurrent layer carries its state along: its final state has read every step.",
}


def _t(seq_len: int | None) -> str:
    """The sequence length as the quiz writes it: the number, or ``T`` for a variable one."""
    return "T" if seq_len is None else str(seq_len)


def _quiz_steps(seq_len: int | None) -> str:
    """``10 steps``, ``1 step``, or ``T steps`` for a variable length."""
    return f"{_t(seq_len)} step" + ("" if seq_len == 1 else "s")


def quiz_answer(text: str) -> str:
    """The reveal's statement of the right answer."""
    return f"The answer: **{text}**."


def quiz_params_prompt(layer: str) -> str:
    """The parameter question."""
    return f"How many parameters does **{layer}** have (Keras `count_params()`)?"


def quiz_params_explanation(
    row: LayerRow,
    cell: Cell,
    units: int,
    below: int | None,
    merge_mode: MergeMode,
    biases: int,
    bi_label: str,
) -> str:
    """Why a bidirectional layer has its count: the formula, its terms, its input width."""
    blocks = "1 weight block" if cell.gates == 1 else f"{cell.gates} weight blocks"
    terms = (
        f"**{row.formula}**: per direction, {blocks} × {units} units × ({row.input_width} inputs "
        f"+ {units} recurrent + {biases} bias); × 2 for the forward and backward copies."
    )
    if below is None:
        width = f"Its input is the model's input, {row.input_width} wide per step."
    elif merge_mode is MergeMode.CONCAT:
        width = (
            f"Its input is {row.input_width} wide: the {bi_label} layer below concatenates its "
            f"two {below}-wide directions (2·{below}), so this layer is not exactly 2× its "
            "plain twin."
        )
    else:
        width = (
            f"Its input is {row.input_width} wide: merge_mode='{merge_mode.value}' keeps the "
            f"width of the layer below."
        )
    torch = ""
    if row.torch_params is not None and row.torch_params != row.params:
        torch = f" PyTorch counts **{row.torch_formula}**: two bias vectors per gate block."
    return f"{terms} {width}{torch}"


def quiz_shape_prompt(layer: str) -> str:
    """The output-shape question."""
    return f"What is the output shape of **{layer}**?"


def quiz_shape_formula(
    merge_mode: MergeMode,
    units: int,
    sequences: bool,
    shapes: Sequence[tuple[int | None, ...]],
    states: Sequence[tuple[int | None, ...]],
) -> str:
    """``(batch, T, 2·64) = (None, 10, 128)``: the shape with its terms, then its numbers."""
    width = f"2·{units}" if merge_mode is MergeMode.CONCAT else str(units)
    term = f"(batch, T, {width})" if sequences else f"(batch, {width})"
    if len(shapes) == 2:
        term = f"forward {term}, backward {term}"
    if states:
        term += f" + {len(states)} × (batch, {units}) states"
    return f"{term} = {format_shape([*shapes, *states])}"


def quiz_shape_explanation(
    formula: str,
    merge_mode: MergeMode,
    units: int,
    sequences: bool,
    states: int,
    bi_label: str,
) -> str:
    """Why the last recurrent layer's output has its shape."""
    if merge_mode is MergeMode.CONCAT:
        merge = (
            f"concat puts the forward and backward {units}-wide outputs side by side: "
            f"2·{units} = {2 * units}."
        )
    elif merge_mode is MergeMode.NONE:
        merge = (
            "merge_mode=None returns the forward and backward outputs as two separate tensors, "
            f"{units} wide each."
        )
    else:
        merge = (
            f"{merge_mode.value} combines the two directions element by element, so the width "
            f"stays {units} (only concat doubles it)."
        )
    time = (
        "return_sequences=True keeps the time axis: one output per step."
        if sequences
        else "return_sequences=False returns one vector per sequence: no time axis."
    )
    extra = (
        f" return_state=True adds each direction's final states ({states} in a {bi_label}), "
        f"{units} wide, never merged."
        if states
        else ""
    )
    return f"**{formula}**: {merge} {time}{extra}"


def quiz_future_prompt(layer: str, seq_len: int | None) -> str:
    """The future question, for a layer that returns a sequence."""
    return (
        f"**{layer}** returns an output at every step ({_quiz_steps(seq_len)}). Which output steps depend on "
        "inputs that come *after* them (need the future)?"
    )


def quiz_future_choice(kind: str, seq_len: int | None) -> str:
    """One answer to the future question: ``before_last``, ``none``, ``all`` or ``last``."""
    t = _t(seq_len)
    if kind == "before_last":
        if seq_len == 1:
            return "none: with one step, no input comes after it"
        last = "T−1" if seq_len is None else str(seq_len - 1)
        span = "step 1" if seq_len == 2 else f"steps 1 … {last}"
        return f"{span}: every step but the last"
    if kind == "none":
        return "none: a recurrent layer only reads what came before"
    if kind == "all":
        return f"all {_quiz_steps(seq_len)}, the last one too"
    return f"only the last step, {t}: it has read the whole sequence"


def quiz_future_formula(seq_len: int | None) -> str:
    """What a bidirectional layer's output at step t has read."""
    t = _t(seq_len)
    return f"output[t] = [forward: x[1] … x[t] ; backward: x[t] … x[{t}]]"


def quiz_future_explanation(formula: str, seq_len: int | None, bi_label: str) -> str:
    """Why every step but the last needs the future in a bidirectional layer."""
    t = _t(seq_len)
    return (
        f"**{formula}**. In a {bi_label} the backward direction runs from step {t} down to step "
        f"1, so at every step t before {t} its part of the output has already read x[t+1] … "
        f"x[{t}]: those steps need the future. Nothing comes after the last step, and its "
        f"backward part has read only x[{t}], so the last step of the sequence output is no "
        "summary of the whole sequence. In a plain forward layer no step needs the future."
    )


def quiz_summary_prompt(layer: str) -> str:
    """The future question, for a layer that returns one vector per sequence."""
    return (
        f"**{layer}** returns one vector per sequence (return_sequences=False). Which input "
        "steps have its forward and its backward part read?"
    )


def quiz_summary_choice(forward: str, backward: str, seq_len: int | None) -> str:
    """One answer to the summary question; each part ``all``, ``last`` or ``none``."""
    t = _t(seq_len)
    read = {"all": f"all {_quiz_steps(seq_len)}", "last": f"only x[{t}]", "none": "nothing"}
    return f"forward: {read[forward]}; backward: {read[backward]}"


def quiz_summary_formula(seq_len: int | None) -> str:
    """What a bidirectional layer's one output vector holds."""
    t = _t(seq_len)
    return f"output = [forward h after x[1] … x[{t}] ; backward h after x[{t}] … x[1]]"


def quiz_summary_explanation(formula: str, seq_len: int | None, bi_label: str) -> str:
    """Why both parts of the one output vector have read every step."""
    t = _t(seq_len)
    return (
        f"**{formula}**. With return_sequences=False a {bi_label} layer returns each direction's "
        f"final state: the forward one after reading x[1] … x[{t}], the backward one after "
        f"reading x[{t}] back to x[1]. Both parts have read every step. The last step of a "
        f"sequence output (out[:, -1, :]) is different: its backward part has read only x[{t}]."
    )
