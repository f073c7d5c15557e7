"""spec -> source code: runnable Keras for both variants, the PyTorch equivalent, and a diff.

The generated programs are what a reader would type: one line per layer, named like the lab's
own models (`bilstm_lab.core.analysis.layer_name`), with the output shape in a comment taken from the
analysis. Tests execute every one of them against real Keras and real torch. Pure text: no
TensorFlow import here.
"""

from __future__ import annotations

import difflib

from bilstm_lab.core.analysis import Shape, VariantAnalysis, analyze, input_name, layer_name
from bilstm_lab.core.formatting import format_shape
from bilstm_lab.core.spec import MergeMode, ModelSpec, TokenInput


def _shape_comment(shapes: tuple[Shape, ...]) -> str:
    return f"  # {format_shape(shapes)}"


def _example_batch(spec: ModelSpec) -> int:
    """The batch the example forward pass uses: the spec's own, else a small one."""
    return spec.batch_size if spec.batch_size is not None else 2


def keras_code(spec: ModelSpec, bidirectional: bool) -> str:
    """Runnable Keras 3 source that builds one variant of ``spec`` as ``model``.

    Args:
        spec: the model.
        bidirectional: wrap every recurrent layer in ``layers.Bidirectional``.

    Returns:
        Python source; running it builds ``model`` and prints its summary.
    """
    variant = analyze(spec, bidirectional)
    rows = iter(variant.layers)
    lines = ["import keras", "from keras import layers", ""]
    batch = "" if spec.batch_size is None else f", batch_size={spec.batch_size}"
    if isinstance(spec.input, TokenInput):
        lines.append(
            f'inputs = keras.Input(shape=({spec.input.seq_len},){batch}, dtype="int32", '
            f'name="{input_name(spec)}")' + _shape_comment((variant.input_shape,))
        )
        row = next(rows)
        lines.append(
            f"x = layers.Embedding({spec.input.vocab}, {spec.input.embedding_dim}, "
            f'name="{row.name}")(inputs)' + _shape_comment(row.output_shapes)
        )
    else:
        lines.append(
            f"inputs = keras.Input(shape=({spec.input.seq_len}, {spec.input.features}){batch}, "
            f'name="{input_name(spec)}")' + _shape_comment((variant.input_shape,))
        )
        lines.append("x = inputs")
    outputs = "x"
    for index, units in enumerate(spec.units):
        row = next(rows)
        is_last = index == spec.depth - 1
        options = f"{units}, return_sequences={spec.layer_returns_sequences(index)}"
        if spec.return_state and is_last:
            options += ", return_state=True"
        plain_name = layer_name(spec, index, bidirectional=False)
        cell = f'layers.{spec.cell.keras_name}({options}, name="{plain_name}")'
        if bidirectional:
            merge = spec.merge_mode.keras_value
            merge_text = "None" if merge is None else f'"{merge}"'
            # One argument per line: the diff against the LSTM code then reads line by line.
            layer = (
                f"layers.Bidirectional(\n    {cell},\n    merge_mode={merge_text},\n"
                f'    name="{row.name}",\n)'
            )
        else:
            layer = cell
        split = bidirectional and spec.merge_mode is MergeMode.NONE
        targets = "forward, backward" if split else "x"
        if spec.return_state and is_last:
            targets += ", *states"
        lines.append(f"{targets} = {layer}(x)" + _shape_comment(row.output_shapes))
        if split:
            outputs = "[forward, backward]"
        if spec.return_state and is_last:
            # Keras returns the states after the output(s): forward h(, c), then backward.
            outputs = "[forward, backward, *states]" if split else "[x, *states]"
    if spec.head is not None:
        row = next(rows)
        lines.append(
            f'x = layers.Dense({spec.head.units}, activation="{spec.head.activation}", '
            f'name="{row.name}")(x)' + _shape_comment(row.output_shapes)
        )
        outputs = "[x, *states]" if spec.return_state else "x"
    model_name = ("bi" if bidirectional else "") + spec.cell.value
    lines += [f'model = keras.Model(inputs, {outputs}, name="{model_name}")', "model.summary()"]
    lines.append(f"print(model.count_params())  # {variant.total_params:_}")
    return "\n".join(lines) + "\n"


def torch_code(spec: ModelSpec, bidirectional: bool) -> str:
    """Runnable PyTorch source equivalent to `bilstm_lab.torch_equivalent.EquivalentModel`.

    The module's attribute names (``embedding``, ``recurrent``, ``head``) match the lab's
    equivalent model, so its ``state_dict`` loads into this one unchanged.

    Args:
        spec: the model.
        bidirectional: pass ``bidirectional=True`` to every recurrent layer.

    Returns:
        Python source; running it defines ``Model``, builds ``model`` and runs a random batch.
    """
    variant = analyze(spec, bidirectional)
    rnn = spec.cell.torch_name
    merge = spec.merge_mode if bidirectional else MergeMode.CONCAT
    lines = [
        "import torch",
        "from torch import nn",
        "",
        "",
        "class Model(nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
    ]
    if isinstance(spec.input, TokenInput):
        lines.append(
            f"        self.embedding = nn.Embedding({spec.input.vocab}, {spec.input.embedding_dim})"
        )
    lines.append("        self.recurrent = nn.ModuleList([")
    width = spec.input.width
    for units in spec.units:
        lines.append(
            f"            nn.{rnn}({width}, {units}, batch_first=True, "
            f"bidirectional={bidirectional}),"
        )
        width = units * (merge.width_factor if bidirectional else 1)
    lines.append("        ])")
    if spec.head is not None:
        lines.append(f"        self.head = nn.Linear({width}, {spec.head.units})")
    lines += ["", "    def forward(self, x):"]
    if isinstance(spec.input, TokenInput):
        lines.append(
            f"        x = self.embedding(x)  # (batch, {spec.input.seq_len}, {spec.input.embedding_dim})"
        )
    returned = "x"
    for index, units in enumerate(spec.units):
        directions = 2 if bidirectional else 1
        lines.append(
            f"        x, _ = self.recurrent[{index}](x)  # (batch, {spec.input.seq_len}, {directions * units})"
        )
        if index == spec.depth - 1 and not spec.return_sequences:
            if bidirectional:
                lines += [
                    "        # Keras's return_sequences=False: forward half after t=T, backward",
                    "        # half after reading back to t=1 (not x[:, -1], whose backward half",
                    "        # has seen one step only).",
                    f"        x = torch.cat([x[:, -1, :{units}], x[:, 0, {units}:]], dim=-1)"
                    f"  # (batch, {2 * units})",
                ]
            else:
                lines.append(f"        x = x[:, -1, :]  # (batch, {units})")
        if merge is MergeMode.NONE:
            lines.append(f"        forward, backward = x[..., :{units}], x[..., {units}:]")
            returned = "forward, backward"
        elif merge is not MergeMode.CONCAT:
            combine = {
                MergeMode.SUM: "forward + backward",
                MergeMode.MUL: "forward * backward",
                MergeMode.AVE: "(forward + backward) / 2",
            }[merge]
            lines.append(f"        forward, backward = x[..., :{units}], x[..., {units}:]")
            lines.append(f"        x = {combine}  # merge_mode={merge.value!r}: {units} wide")
    if spec.head is not None:
        activation = {
            "linear": "self.head(x)",
            "softmax": "torch.softmax(self.head(x), dim=-1)",
            "sigmoid": "torch.sigmoid(self.head(x))",
            "relu": "torch.relu(self.head(x))",
            "tanh": "torch.tanh(self.head(x))",
        }[spec.head.activation]
        lines.append(f"        x = {activation}")
    lines.append(f"        return {returned}")
    batch = _example_batch(spec)
    if isinstance(spec.input, TokenInput):
        example = f"torch.randint(0, {spec.input.vocab}, ({batch}, {spec.input.seq_len}))"
    else:
        example = f"torch.randn({batch}, {spec.input.seq_len}, {spec.input.features})"
    total = f"{variant.torch_params:_}"
    lines += [
        "",
        "",
        "model = Model()",
        f"print(sum(p.numel() for p in model.parameters()))  # {total}",
        f"example = {example}",
        "output = model(example)",
    ]
    if bidirectional and spec.merge_mode is MergeMode.NONE:
        lines.append("print([tuple(part.shape) for part in output])")
    else:
        lines.append("print(tuple(output.shape))")
    if spec.return_state:
        lines.append(
            "# Keras's return_state: take h_n (and c_n) from `_, states = self.recurrent[-1](x)`."
        )
    return "\n".join(lines) + "\n"


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
