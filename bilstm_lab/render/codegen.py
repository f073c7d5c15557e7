"""spec -> source code: runnable Keras for both variants, the PyTorch equivalent, and a diff.

The generated programs are what a reader would type: one line per layer, named like the lab's
own models (`bilstm_lab.core.analysis.layer_name`), with the output shape in a comment taken from the
analysis. Tests execute every one of them against real Keras and real torch. Pure text: no
TensorFlow import here.
"""

from __future__ import annotations

import difflib

from bilstm_lab.core.analysis import (
    LayerRow,
    Shape,
    VariantAnalysis,
    analyze,
    check_torch_equivalent,
    direction_count,
    input_name,
    layer_name,
    layer_returns_state,
    splits_directions,
)
from bilstm_lab.core.formatting import format_shape
from bilstm_lab.core.spec import MergeMode, ModelSpec, TokenInput

#: How the PyTorch code merges the forward and backward halves, for the merge modes that
#: change the width (concat is what PyTorch returns already; none keeps the halves apart).
_TORCH_MERGES = {
    MergeMode.SUM: "forward + backward",
    MergeMode.MUL: "forward * backward",
    MergeMode.AVE: "(forward + backward) / 2",
}

#: The PyTorch expression for the Dense head, by Keras activation name.
_TORCH_HEADS = {
    "linear": "self.head(x)",
    "softmax": "torch.softmax(self.head(x), dim=-1)",
    "sigmoid": "torch.sigmoid(self.head(x))",
    "relu": "torch.relu(self.head(x))",
    "tanh": "torch.tanh(self.head(x))",
}


def _shape_comment(shapes: tuple[Shape, ...]) -> str:
    return f"  # {format_shape(shapes)}"


def _example_batch(spec: ModelSpec) -> int:
    """The batch the example forward pass uses: the spec's own, else a small one."""
    return spec.batch_size if spec.batch_size is not None else 2


def _example_steps(spec: ModelSpec) -> int:
    """The sequence length the example forward pass uses: T, or a few steps when T is None."""
    return spec.input.seq_len if spec.input.seq_len is not None else 5


def _steps_comment(spec: ModelSpec) -> str:
    """T as a shape comment in the PyTorch code writes it: the number, or ``T`` when variable."""
    return "T" if spec.input.seq_len is None else str(spec.input.seq_len)


def _head_row(variant: VariantAnalysis) -> LayerRow:
    """The Dense head's row (call only when the spec has a head): always the last layer."""
    return variant.layers[-1]


def keras_code(spec: ModelSpec, bidirectional: bool) -> str:
    """Runnable Keras 3 source that builds one variant of ``spec`` as ``model``.

    Args:
        spec: the model.
        bidirectional: wrap every recurrent layer in ``layers.Bidirectional``.

    Returns:
        Python source; running it builds ``model`` and prints its summary.
    """
    variant = analyze(spec, bidirectional)
    lines = ["import keras", "from keras import layers", ""]
    lines += _keras_input_lines(variant)
    for index, row in enumerate(variant.recurrent_rows):
        lines.append(_keras_recurrent_line(spec, index, row, bidirectional))
    if spec.head is not None:
        head = _head_row(variant)
        lines.append(
            f'x = layers.Dense({spec.head.units}, activation="{spec.head.activation}", '
            f'name="{head.name}")(x)' + _shape_comment(head.output_shapes)
        )
    lines += _keras_model_lines(variant)
    return "\n".join(lines) + "\n"


def _keras_input_lines(variant: VariantAnalysis) -> list[str]:
    """``inputs = keras.Input(...)``, then ``x``: the embedded tokens, or the features as is."""
    spec = variant.spec
    batch = "" if spec.batch_size is None else f", batch_size={spec.batch_size}"
    comment = _shape_comment((variant.input_shape,))
    if isinstance(spec.input, TokenInput):
        embedding = variant.layers[0]
        return [
            f'inputs = keras.Input(shape=({spec.input.seq_len},){batch}, dtype="int32", '
            f'name="{input_name(spec)}")' + comment,
            f"x = layers.Embedding({spec.input.vocab}, {spec.input.embedding_dim}, "
            f'name="{embedding.name}")(inputs)' + _shape_comment(embedding.output_shapes),
        ]
    return [
        f"inputs = keras.Input(shape=({spec.input.seq_len}, {spec.input.features}){batch}, "
        f'name="{input_name(spec)}")' + comment,
        "x = inputs",
    ]


def _keras_recurrent_line(spec: ModelSpec, index: int, row: LayerRow, bidirectional: bool) -> str:
    """Recurrent layer ``index`` applied to ``x``, its outputs unpacked into named variables."""
    layer = _keras_cell(spec, index)
    if bidirectional:
        layer = _keras_bidirectional(layer, spec.merge_mode, row.name)
    targets = "forward, backward" if splits_directions(spec, bidirectional) else "x"
    if layer_returns_state(spec, index):
        targets += ", *states"
    return f"{targets} = {layer}(x)" + _shape_comment(row.output_shapes)


def _keras_cell(spec: ModelSpec, index: int) -> str:
    """The cell layer of recurrent layer ``index``, as an unwrapped Keras constructor call."""
    options = f"{spec.units[index]}, return_sequences={spec.layer_returns_sequences(index)}"
    if layer_returns_state(spec, index):
        options += ", return_state=True"
    options += "".join(f", {name}={value}" for name, value in spec.cell_options.items())
    # The plain name even inside a wrapper: the lab's builder names the wrapped cell so too.
    plain_name = layer_name(spec, index, bidirectional=False)
    return f'layers.{spec.cell.keras_name}({options}, name="{plain_name}")'


def _keras_bidirectional(cell: str, merge_mode: MergeMode, name: str) -> str:
    """``cell`` wrapped in ``layers.Bidirectional`` with ``merge_mode``, named ``name``."""
    merge = merge_mode.keras_value
    merge_text = "None" if merge is None else f'"{merge}"'
    # One argument per line: the diff against the LSTM code then reads line by line.
    return (
        f'layers.Bidirectional(\n    {cell},\n    merge_mode={merge_text},\n    name="{name}",\n)'
    )


def _keras_model_lines(variant: VariantAnalysis) -> list[str]:
    """``model = keras.Model(...)``, its summary, and its parameter count."""
    spec = variant.spec
    outputs = _keras_model_outputs(spec, variant.bidirectional)
    model_name = ("bi" if variant.bidirectional else "") + spec.cell.value
    return [
        f'model = keras.Model(inputs, {outputs}, name="{model_name}")',
        "model.summary()",
        f"print(model.count_params())  # {variant.total_params:_}",
    ]


def _keras_model_outputs(spec: ModelSpec, bidirectional: bool) -> str:
    """What ``keras.Model`` returns, in the variable names the generated code assigns."""
    # A head reads one tensor, so with a head the model's output is always its ``x``.
    split = spec.head is None and splits_directions(spec, bidirectional)
    tensors = "forward, backward" if split else "x"
    if spec.return_state:
        # Keras returns the states after the output(s): forward h(, c), then backward.
        return f"[{tensors}, *states]"
    return f"[{tensors}]" if split else tensors


def torch_code(spec: ModelSpec, bidirectional: bool) -> str:
    """Runnable PyTorch source equivalent to `bilstm_lab.torch_equivalent.EquivalentModel`.

    The module's attribute names (``embedding``, ``recurrent``, ``head``) match the lab's
    equivalent model, so its ``state_dict`` loads into this one unchanged.

    Args:
        spec: the model.
        bidirectional: pass ``bidirectional=True`` to every recurrent layer.

    Returns:
        Python source; running it defines ``Model``, builds ``model`` and runs a random batch.

    Raises:
        SpecError: PyTorch has no equivalent (a GRU with ``reset_after=False``).
    """
    check_torch_equivalent(spec)
    variant = analyze(spec, bidirectional)
    lines = ["import torch", "from torch import nn", "", ""]
    lines += _torch_init_lines(variant)
    lines += ["", *_torch_forward_lines(spec, bidirectional), "", ""]
    lines += _torch_example_lines(variant)
    return "\n".join(lines) + "\n"


def _torch_init_lines(variant: VariantAnalysis) -> list[str]:
    """``class Model`` down to the end of ``__init__``: one attribute per Keras layer."""
    spec = variant.spec
    lines = [
        "class Model(nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
    ]
    if isinstance(spec.input, TokenInput):
        lines.append(
            f"        self.embedding = nn.Embedding({spec.input.vocab}, {spec.input.embedding_dim})"
        )
    lines.append("        self.recurrent = nn.ModuleList([")
    bias = "" if spec.use_bias else "bias=False, "  # Keras's use_bias=False
    # Input widths from the analysis: each layer reads what Keras's layer of the same index reads.
    for row, units in zip(variant.recurrent_rows, spec.units, strict=True):
        lines.append(
            f"            nn.{spec.cell.torch_name}({row.input_width}, {units}, {bias}"
            f"batch_first=True, bidirectional={variant.bidirectional}),"
        )
    lines.append("        ])")
    if spec.head is not None:
        lines.append(
            f"        self.head = nn.Linear({_head_row(variant).input_width}, {spec.head.units})"
        )
    return lines


def _torch_forward_lines(spec: ModelSpec, bidirectional: bool) -> list[str]:
    """The ``forward`` method: embedding, recurrent layers, head, in Keras's order."""
    lines = ["    def forward(self, x):"]
    if isinstance(spec.input, TokenInput):
        lines.append(
            f"        x = self.embedding(x)  # (batch, {_steps_comment(spec)}, {spec.input.embedding_dim})"
        )
    for index in range(spec.depth):
        lines += _torch_recurrent_lines(spec, index, bidirectional)
    if spec.head is not None:
        lines.append(f"        x = {_TORCH_HEADS[spec.head.activation]}")
    returned = "forward, backward" if splits_directions(spec, bidirectional) else "x"
    lines.append(f"        return {returned}")
    return lines


def _torch_recurrent_lines(spec: ModelSpec, index: int, bidirectional: bool) -> list[str]:
    """Recurrent layer ``index`` in ``forward``, reshaped into what Keras's layer returns."""
    units = spec.units[index]
    width = direction_count(bidirectional) * units
    lines = [
        f"        x, _ = self.recurrent[{index}](x)  # (batch, {_steps_comment(spec)}, {width})"
    ]
    if not spec.layer_returns_sequences(index):
        lines += _torch_last_step_lines(units, bidirectional)
    if bidirectional:
        lines += _torch_merge_lines(spec.merge_mode, units)
    return lines


def _torch_last_step_lines(units: int, bidirectional: bool) -> list[str]:
    """Keras's ``return_sequences=False``: keep each direction's final output only."""
    if not bidirectional:
        return [f"        x = x[:, -1, :]  # (batch, {units})"]
    return [
        "        # Keras's return_sequences=False: forward half after t=T, backward",
        "        # half after reading back to t=1 (not x[:, -1], whose backward half",
        "        # has seen one step only).",
        f"        x = torch.cat([x[:, -1, :{units}], x[:, 0, {units}:]], dim=-1)"
        f"  # (batch, {2 * units})",
    ]


def _torch_merge_lines(merge: MergeMode, units: int) -> list[str]:
    """Keras's ``merge_mode`` applied to PyTorch's concatenated bidirectional output."""
    if merge is MergeMode.CONCAT:
        return []
    halves = f"        forward, backward = x[..., :{units}], x[..., {units}:]"
    if merge is MergeMode.NONE:
        return [halves]
    return [
        halves,
        f"        x = {_TORCH_MERGES[merge]}  # merge_mode={merge.value!r}: {units} wide",
    ]


def _torch_example_lines(variant: VariantAnalysis) -> list[str]:
    """Build ``model``, print its parameter count, and run one random batch through it."""
    spec = variant.spec
    lines = [
        "model = Model()",
        f"print(sum(p.numel() for p in model.parameters()))  # {variant.torch_params:_}",
        f"example = {_torch_example_input(spec)}",
        "output = model(example)",
    ]
    if splits_directions(spec, variant.bidirectional):
        lines.append("print([tuple(part.shape) for part in output])")
    else:
        lines.append("print(tuple(output.shape))")
    if spec.return_state:
        lines.append(
            "# Keras's return_state: take h_n (and c_n) from `_, states = self.recurrent[-1](x)`."
        )
    return lines


def _torch_example_input(spec: ModelSpec) -> str:
    """A random batch of the spec's input: token ids below the vocabulary, or float features."""
    batch, steps = _example_batch(spec), _example_steps(spec)
    if isinstance(spec.input, TokenInput):
        return f"torch.randint(0, {spec.input.vocab}, ({batch}, {steps}))"
    return f"torch.randn({batch}, {steps}, {spec.input.features})"


def keras_diff(spec: ModelSpec) -> str:
    """A unified diff from the LSTM variant's Keras code to the BiLSTM variant's.

    Args:
        spec: the model.

    Returns:
        Diff text (``---``/``+++`` headers, then hunks) for a ``diff`` code block.
    """
    uni, bi = keras_code(spec, False), keras_code(spec, True)
    label = spec.cell.keras_name
    return "".join(
        difflib.unified_diff(
            uni.splitlines(keepends=True),
            bi.splitlines(keepends=True),
            fromfile=f"{label.lower()}.py",
            tofile=f"bi{label.lower()}.py",
            n=1,
        )
    )


def variant_code(variant: VariantAnalysis) -> str:
    """`keras_code` for an analysed variant (convenience for the UI)."""
    return keras_code(variant.spec, variant.bidirectional)
