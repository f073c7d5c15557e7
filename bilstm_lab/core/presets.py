"""Named model specs: every model in the two source articles, plus a few teaching models.

Each article preset carries the article's own code (verbatim), and a note wherever the
article's prose says something real Keras does not (the tests run that code and compare every
number). Pure Python: no TensorFlow import.
"""

from __future__ import annotations

from dataclasses import dataclass

from bilstm_lab.core.spec import (
    Cell,
    DenseHead,
    FeatureInput,
    MergeMode,
    ModelSpec,
    SpecError,
    TokenInput,
)

#: The source of the lab's own teaching models (no article behind them).
TEACHING = "teaching"


@dataclass(frozen=True)
class Preset:
    """A named spec.

    Attributes:
        key: the short name used by ``--preset`` and ``preset=`` (see also `PRESET_ALIASES`).
        title: a one-line title.
        source: where the model comes from (an article example, or `TEACHING`).
        spec: the model.
        note: what to notice, including where the article's prose and real Keras disagree.
        article_code: the article's own code, verbatim, for article presets.
        assumptions: values the article leaves undefined and the preset fills in.
    """

    key: str
    title: str
    source: str
    spec: ModelSpec
    note: str
    article_code: str = ""
    assumptions: str = ""

    def heading(self, markdown: bool = False) -> str:
        """``title — source`` for an article's example; just the title for a teaching model.

        ``markdown``: the title in bold.
        """
        title = f"**{self.title}**" if markdown else self.title
        return title if self.source == TEACHING else f"{title} — {self.source}"


ARTICLE_TENSORFLOW = "the article “How can I convert an LSTM to a BiLSTM in TensorFlow?”"
ARTICLE_BASIC_CELL = "the article “How can a basic LSTM cell be converted to a bidirectional LSTM?”"

_CODE_000_1 = """import tensorflow as tf
from tensorflow.keras import layers

# Example input with a batch_size of 32, sequence length 10, and embedding size 100
input_data = tf.random.normal((32, 10, 100))


# Original LSTM Layer
lstm_layer = layers.LSTM(units=64, return_sequences=True)
lstm_output = lstm_layer(input_data)
print("LSTM Output shape:", lstm_output.shape)


# Equivalent BiLSTM Layer
bilstm_layer = layers.Bidirectional(layers.LSTM(units=64, return_sequences=True))
bilstm_output = bilstm_layer(input_data)
print("BiLSTM Output shape:", bilstm_output.shape)
"""

_CODE_000_2 = """import tensorflow as tf
from tensorflow.keras import layers

# Model with LSTM
embedding_dim = 128
vocab_size = 10000
seq_length = 20
inputs = layers.Input(shape=(seq_length,))
embedded_input = layers.Embedding(input_dim=vocab_size, output_dim=embedding_dim)(inputs)
lstm_layer = layers.LSTM(units=64, return_sequences=False)
lstm_output = lstm_layer(embedded_input)
dense_output_lstm = layers.Dense(units=10, activation='softmax')(lstm_output)
model_lstm = tf.keras.Model(inputs=inputs, outputs=dense_output_lstm)
print("LSTM model summary:")
model_lstm.summary()

# Model with BiLSTM
inputs_bilstm = layers.Input(shape=(seq_length,))
embedded_input_bilstm = layers.Embedding(input_dim=vocab_size, output_dim=embedding_dim)(inputs_bilstm)
bilstm_layer = layers.Bidirectional(layers.LSTM(units=64, return_sequences=False))
bilstm_output = bilstm_layer(embedded_input_bilstm)
dense_output_bilstm = layers.Dense(units=10, activation='softmax')(bilstm_output)
model_bilstm = tf.keras.Model(inputs=inputs_bilstm, outputs=dense_output_bilstm)
print("BiLSTM model summary:")
model_bilstm.summary()
"""

_CODE_000_3 = """import tensorflow as tf
from tensorflow.keras import layers

#Stacked LSTM model
inputs_stacked_lstm = layers.Input(shape=(seq_length,))
embedded_input_stacked_lstm = layers.Embedding(input_dim=vocab_size, output_dim=embedding_dim)(inputs_stacked_lstm)
lstm_layer1 = layers.LSTM(units=64, return_sequences=True)
lstm_output1 = lstm_layer1(embedded_input_stacked_lstm)
lstm_layer2 = layers.LSTM(units=32, return_sequences=False)
lstm_output2 = lstm_layer2(lstm_output1)
dense_output_stacked_lstm = layers.Dense(units=10, activation='softmax')(lstm_output2)
model_stacked_lstm = tf.keras.Model(inputs=inputs_stacked_lstm, outputs=dense_output_stacked_lstm)
print("Stacked LSTM model summary:")
model_stacked_lstm.summary()

# Stacked BiLSTM model
inputs_stacked_bilstm = layers.Input(shape=(seq_length,))
embedded_input_stacked_bilstm = layers.Embedding(input_dim=vocab_size, output_dim=embedding_dim)(inputs_stacked_bilstm)
bilstm_layer1 = layers.Bidirectional(layers.LSTM(units=64, return_sequences=True))
bilstm_output1 = bilstm_layer1(embedded_input_stacked_bilstm)
bilstm_layer2 = layers.Bidirectional(layers.LSTM(units=32, return_sequences=False))
bilstm_output2 = bilstm_layer2(bilstm_output1)
dense_output_stacked_bilstm = layers.Dense(units=10, activation='softmax')(bilstm_output2)
model_stacked_bilstm = tf.keras.Model(inputs=inputs_stacked_bilstm, outputs=dense_output_stacked_bilstm)
print("Stacked BiLSTM model summary:")
model_stacked_bilstm.summary()
"""

_CODE_004_1 = """import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.layers.Embedding(input_dim=vocabulary_size, output_dim=embedding_dim, input_length=sequence_length),
    tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(units=64, return_sequences=True)), # Bidirectional wrapper
    tf.keras.layers.Dense(units=num_classes, activation='softmax')
])

model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
"""

_CODE_004_2 = """import torch
import torch.nn as nn

class BidirectionalLSTM(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(BidirectionalLSTM, self).__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, bidirectional=True) #Bidirectional flag
        self.fc = nn.Linear(hidden_size * 2, output_size) #Double hidden size due to bi-directionality

    def forward(self, x):
        out, _ = self.lstm(x)
        out = self.fc(out[:, -1, :]) #Extract final output from sequence
        return out

model = BidirectionalLSTM(input_size=embedding_dim, hidden_size=64, output_size=num_classes)
"""

_BASIC_CELL_VALUES = (
    "vocabulary_size = 10000, embedding_dim = 128, sequence_length = 20, num_classes = 5"
)

PRESETS: tuple[Preset, ...] = (
    Preset(
        key="features-basic",
        title="One BiLSTM layer on float features",
        source=f"from {ARTICLE_TENSORFLOW}, example 1",
        spec=ModelSpec(units=(64,), input=FeatureInput(seq_len=10, features=100), batch_size=32),
        note=(
            "The article's figures hold: (32, 10, 64) becomes (32, 10, 128), and the layer's "
            "parameters double exactly, 42,240 → 84,480, because the backward LSTM is an "
            "independent copy with the same input width."
        ),
        article_code=_CODE_000_1,
    ),
    Preset(
        key="embedding-classifier",
        title="Text classifier: Embedding + BiLSTM + Dense",
        source=f"from {ARTICLE_TENSORFLOW}, example 2",
        spec=ModelSpec(
            units=(64,),
            return_sequences=False,
            input=TokenInput(seq_len=20, vocab=10_000, embedding_dim=128),
            head=DenseHead(10, "softmax"),
        ),
        note=(
            "The recurrent layer doubles as the article says (49,408 → 98,816), but the Dense head "
            "does too (650 → 1,290: its input is 128 wide, not 64), and the model as a whole grows "
            "only 1.04× because the 1,280,000-parameter Embedding is shared by both variants."
        ),
        article_code=_CODE_000_2,
    ),
    Preset(
        key="stacked-classifier",
        title="Stacked BiLSTM text classifier (64, 32 units)",
        source=f"from {ARTICLE_TENSORFLOW}, example 3",
        spec=ModelSpec(
            units=(64, 32),
            return_sequences=False,
            input=TokenInput(seq_len=20, vocab=10_000, embedding_dim=128),
            head=DenseHead(10, "softmax"),
        ),
        note=(
            "The article says the parameters are “doubled for each layer”. Real Keras disagrees "
            "for every layer above the first: the second BiLSTM has 41,216 parameters against "
            "12,416 (3.32×), because its input is the first layer's concatenated output, 128 wide "
            "instead of 64; the Dense head grows 330 → 650 for the same reason."
        ),
        article_code=_CODE_000_3,
        assumptions="seq_length = 20, vocab_size = 10000, embedding_dim = 128 (from example 2)",
    ),
    Preset(
        key="keras-tagger",
        title="Keras Sequential tagger: Embedding + BiLSTM + per-step Dense",
        source=f"from {ARTICLE_BASIC_CELL}, example 1",
        spec=ModelSpec(
            units=(64,),
            return_sequences=True,
            input=TokenInput(seq_len=20, vocab=10_000, embedding_dim=128),
            head=DenseHead(5, "softmax"),
        ),
        note=(
            "The article leaves vocabulary_size, embedding_dim, sequence_length and num_classes "
            "undefined; the preset uses " + _BASIC_CELL_VALUES + ". In Keras 3 `input_length` is "
            "deprecated and ignored, so this Sequential has no input shape: it stays unbuilt and "
            "`summary()` shows no parameters until it is built or called on data. With "
            "return_sequences=True the Dense layer is applied at every time step: (None, 20, 5)."
        ),
        article_code=_CODE_004_1,
        assumptions=_BASIC_CELL_VALUES,
    ),
    Preset(
        key="pytorch-classifier",
        title="PyTorch BiLSTM classifier (as far as a spec describes it)",
        source=f"from {ARTICLE_BASIC_CELL}, example 2 (PyTorch)",
        spec=ModelSpec(
            units=(64,),
            return_sequences=False,
            input=FeatureInput(seq_len=20, features=128),
            head=DenseHead(5, "linear"),
        ),
        note=(
            "The PyTorch model has 2 × 4·64·(128+64+2) + (128+1)·5 = 99,973 parameters: 512 "
            "more than Keras's equivalent (99,461) because PyTorch keeps two bias vectors. Its forward() "
            "has two slips: nn.LSTM defaults to batch_first=False, so out[:, -1, :] picks the "
            "last *sample* of the batch, not the last time step; and even with batch_first=True "
            "the last step's backward half has seen only one token. The intended summary is "
            "h_n (both directions' final states) — in Keras, return_sequences=False, which is "
            "what this preset models."
        ),
        article_code=_CODE_004_2,
        assumptions="embedding_dim = 128, num_classes = 5, sequences of 20 steps",
    ),
    Preset(
        key="tagger",
        title="Part-of-speech tagger: one label per token",
        source=TEACHING,
        spec=ModelSpec(
            units=(32,),
            input=TokenInput(seq_len=12, vocab=5_000, embedding_dim=50),
            head=DenseHead(17, "softmax"),
        ),
        note="A per-token task: return_sequences=True and a Dense head applied at every step.",
    ),
    Preset(
        key="sentiment-gru",
        title="Sentiment classifier with a GRU",
        source=TEACHING,
        spec=ModelSpec(
            cell=Cell.GRU,
            units=(32,),
            return_sequences=False,
            input=TokenInput(seq_len=40, vocab=20_000, embedding_dim=64),
            head=DenseHead(1, "sigmoid"),
        ),
        note=(
            "A GRU has three weight blocks instead of four, and Keras's reset_after=True keeps "
            "two bias vectors — so here Keras and PyTorch count the same parameters."
        ),
    ),
    Preset(
        key="return-state",
        title="return_state: five tensors out of a BiLSTM",
        source=TEACHING,
        spec=ModelSpec(
            units=(16,),
            return_sequences=False,
            return_state=True,
            input=FeatureInput(seq_len=8, features=4),
        ),
        note=(
            "With return_state=True a Bidirectional LSTM returns the merged output plus four "
            "states (forward h and c, backward h and c). The states are never merged."
        ),
    ),
    Preset(
        key="merge-none",
        title="merge_mode=None: two separate outputs",
        source=TEACHING,
        spec=ModelSpec(
            units=(16,), merge_mode=MergeMode.NONE, input=FeatureInput(seq_len=8, features=4)
        ),
        note="merge_mode=None hands back the forward and backward sequences as two tensors.",
    ),
    Preset(
        key="deep-sum",
        title="Three stacked layers merged by sum",
        source=TEACHING,
        spec=ModelSpec(
            units=(32, 32, 32), merge_mode=MergeMode.SUM, input=FeatureInput(seq_len=16, features=8)
        ),
        note=(
            "With merge_mode='sum' each layer's output stays 32 wide, so every BiLSTM layer has "
            "exactly twice the parameters — unlike concat, where the upper layers grow more."
        ),
    ),
)

PRESETS_BY_KEY: dict[str, Preset] = {preset.key: preset for preset in PRESETS}

#: Keys the article presets had before they were named for what they are. `get_preset` still
#: accepts them (old links, scripts and notebooks keep working); nothing lists them.
PRESET_ALIASES: dict[str, str] = {
    "seed000-ex1": "features-basic",
    "seed000-ex2": "embedding-classifier",
    "seed000-ex3": "stacked-classifier",
    "seed004-ex1": "keras-tagger",
    "seed004-pytorch": "pytorch-classifier",
}


def get_preset(key: str) -> Preset:
    """Look a preset up by key (or by one of its old keys, `PRESET_ALIASES`).

    Raises:
        SpecError: naming the known keys when ``key`` is not one of them.
    """
    try:
        return PRESETS_BY_KEY[PRESET_ALIASES.get(key, key)]
    except (KeyError, TypeError):  # TypeError: not a string (the API takes any object)
        raise SpecError(
            "preset", f"preset must be one of {', '.join(PRESETS_BY_KEY)}, received {key!r}"
        ) from None
