"""What checking the analysis against real Keras (and PyTorch) found: plain data.

Built in a worker process by `bilstm_lab.models.verify` and shown by the server, so it lives
here, free of TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mismatch:
    """One number on which the analysis and the real framework disagree."""

    variant: str
    layer: str
    what: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.variant} {self.layer} {self.what}: analysis says {self.expected}, real says {self.actual}"


@dataclass(frozen=True)
class Verification:
    """The result of building the real models and comparing every number."""

    checked: int
    mismatches: tuple[Mismatch, ...]
    torch_checked: bool

    @property
    def ok(self) -> bool:
        """True when every number agreed."""
        return not self.mismatches

    def summary(self) -> str:
        """One line for the CLI and the page (worded by `bilstm_lab.core.explain`)."""
        from bilstm_lab.core.explain import verification_summary

        return verification_summary(self.ok, self.checked, len(self.mismatches), self.torch_checked)
