"""Convert page: turn a real model's LSTMs into BiLSTMs (or back), and download the result."""

from __future__ import annotations

from bilstm_lab.ui import convert

convert.render()
