"""The upload limit: one setting (`core.model_info`), overridable, and Streamlit's to match."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import warnings

import pytest

from bilstm_lab.core import model_info
from bilstm_lab.core.model_info import (
    DEFAULT_UPLOAD_MB,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MB,
    UPLOAD_LIMIT_ENV,
    upload_limit_mb,
)
from tests.conftest import ROOT


def _max_upload_size(path: object) -> int:
    with open(path, "rb") as file:  # type: ignore[call-overload]
        return int(tomllib.load(file)["server"]["maxUploadSize"])


def test_the_default_fits_a_real_trained_model() -> None:
    # keras.io's IMDB BiLSTM saved with its optimizer state is about 30 MB.
    assert DEFAULT_UPLOAD_MB == 64
    if UPLOAD_LIMIT_ENV not in os.environ:
        assert MAX_UPLOAD_MB == DEFAULT_UPLOAD_MB
    assert MAX_UPLOAD_BYTES == MAX_UPLOAD_MB * 1024 * 1024  # MiB, as Streamlit counts them


def test_streamlit_settings_agree_with_the_lab() -> None:
    from bilstm_lab.ui import launch

    assert _max_upload_size(launch.SETTINGS_FILE) == DEFAULT_UPLOAD_MB
    assert _max_upload_size(ROOT / ".streamlit" / "config.toml") == DEFAULT_UPLOAD_MB


def test_the_launcher_hands_the_labs_limit_to_streamlit(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.web import cli as streamlit_cli

    import bilstm_lab.ui.pool as pool
    from bilstm_lab.ui import launch

    parsed: dict[str, object] = {}

    def streamlit_main() -> None:
        context = streamlit_cli.main_run.make_context("run", sys.argv[2:])
        parsed.update(context.params)

    monkeypatch.setattr(pool, "worker_pool", lambda: None)
    monkeypatch.setattr(streamlit_cli, "main", streamlit_main)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(launch, "MAX_UPLOAD_MB", 128)  # as BILSTM_LAB_MAX_UPLOAD_MB=128 sets it
    assert launch.main([]) == 0
    assert parsed["server_maxUploadSize"] == 128
    assert launch.main(["--server.maxUploadSize", "10"]) == 0  # a flag after `app` still wins
    assert parsed["server_maxUploadSize"] == 10


@pytest.mark.parametrize(
    ("value", "limit"), [(None, 64), ("", 64), ("128", 128), (" 200 ", 200), ("1", 1)]
)
def test_the_setting_reads_whole_megabytes(value: str | None, limit: int) -> None:
    assert upload_limit_mb(value) == limit


@pytest.mark.parametrize("value", ["0", "-3", "big", "1.5", "4096"])
def test_a_bad_setting_warns_and_keeps_the_default(value: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert upload_limit_mb(value) == DEFAULT_UPLOAD_MB
    assert len(caught) == 1 and UPLOAD_LIMIT_ENV in str(caught[0].message)


def test_the_environment_variable_sets_every_check() -> None:
    code = (
        "from bilstm_lab.core import model_info as m; from bilstm_lab.models import model_io as io; "
        "print(m.MAX_UPLOAD_MB, m.MAX_UPLOAD_BYTES, io.MAX_UPLOAD_BYTES, io.MAX_UNPACKED_BYTES)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, UPLOAD_LIMIT_ENV: "80", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr
    mib = 1024 * 1024
    assert result.stdout.split() == [str(80), str(80 * mib), str(80 * mib), str(160 * mib)]


def test_the_refusal_names_the_setting() -> None:
    error = model_info.file_too_large("big.keras", 70 * 1024 * 1024)
    assert str(error) == (
        f"big.keras is too large: the limit is {MAX_UPLOAD_MB}.0 MB (the server's "
        f"{UPLOAD_LIMIT_ENV} setting), received 70.0 MB"
    )
