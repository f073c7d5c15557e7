"""Pitfalls page: the classic mistakes of going bidirectional, each shown live with numbers."""

from __future__ import annotations

from bilstm_lab.ui import pitfalls

pitfalls.render()
