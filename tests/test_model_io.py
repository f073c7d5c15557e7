"""bilstm_lab.models.model_io: hostile uploads get one clear message; good ones load with safe_mode."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile

import pytest

from bilstm_lab.core.errors import (
    CorruptModelFile,
    EmptyModelFile,
    ModelFileTooLarge,
    NoRecurrentLayer,
    NotAKerasFile,
    UnsafeModelFile,
)
from bilstm_lab.core.errors import UploadError as ModelFileError
from bilstm_lab.models import model_io
from bilstm_lab.models.introspect import inspect_rows
from bilstm_lab.models.model_io import (
    load_model_bytes,
    load_model_file,
    model_to_bytes,
)
from tests.helpers_models import BAD_UPLOAD_MESSAGES, bad_upload, make_model

ERROR_TYPES = {
    "empty": EmptyModelFile,
    "random": NotAKerasFile,
    "lambda": UnsafeModelFile,
    "no_recurrent": NoRecurrentLayer,
    "oversized": ModelFileTooLarge,
}


@pytest.mark.parametrize("kind", list(BAD_UPLOAD_MESSAGES))
def test_bad_uploads_raise_their_own_error(kind: str) -> None:
    with pytest.raises(ERROR_TYPES[kind], match=BAD_UPLOAD_MESSAGES[kind]) as caught:
        load_model_bytes(bad_upload(kind), "upload.keras")
    assert isinstance(caught.value, ValueError)
    assert "upload.keras" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_truncated_archive_is_corrupt() -> None:
    data = model_to_bytes(make_model("functional", 1))
    with pytest.raises(CorruptModelFile, match="damaged zip archive"):
        load_model_bytes(data[: len(data) // 2], "half.keras")


def test_zip_that_is_not_keras() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(NotAKerasFile, match=r"no config\.json"):
        load_model_bytes(buffer.getvalue())


def test_zip_bomb_is_refused_before_unpacking() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", bytes(model_io.MAX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < model_io.MAX_UPLOAD_BYTES  # small on the wire
    with pytest.raises(ModelFileTooLarge, match="unpacks to too much"):
        load_model_bytes(buffer.getvalue())


def test_garbage_config_is_corrupt_not_a_traceback() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", "{not json")
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(CorruptModelFile, match="could not be loaded as a Keras model"):
        load_model_bytes(buffer.getvalue())


def test_good_model_round_trips_and_temp_files_are_removed() -> None:
    before = set(os.listdir(tempfile.gettempdir()))
    model = make_model("sequential", 2)
    loaded = load_model_bytes(model_to_bytes(model), "good.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.count_params() == model.count_params()
    rows = inspect_rows(loaded)
    assert [row["layer"] for row in rows] == ["lstm_1", "gru_2", "head"]
    assert rows[0]["output shape"] == "(None, 5, 4)"
    assert [row["params"] for row in rows] == [layer.count_params() for layer in model.layers]
    leftovers = {
        n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("bilstm-lab-")
    }
    assert not leftovers


def test_load_model_file_checks_size_before_reading(tmp_path: object) -> None:
    path = tmp_path / "big.keras"  # type: ignore[operator]
    with open(path, "wb") as handle:
        handle.truncate(model_io.MAX_UPLOAD_BYTES + 1)  # sparse: cheap to make
    with pytest.raises(ModelFileTooLarge, match="is too large"):
        load_model_file(path)
    with pytest.raises(ModelFileError, match="not found"):
        load_model_file(tmp_path / "missing.keras")  # type: ignore[operator]


def test_giant_config_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "[" * (model_io.MAX_CONFIG_BYTES + 1))
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ModelFileTooLarge, match=r"oversized config\.json"):
        load_model_bytes(buffer.getvalue())


def _rename_class(data: bytes, old: str, new: str) -> bytes:
    """The same archive with a layer class renamed in its config (a custom, unknown class)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "config.json":
                content = content.replace(f'"{old}"'.encode(), f'"{new}"'.encode())
            target.writestr(member.filename, content)
    return out.getvalue()


def test_an_unknown_layer_class_is_named_in_the_labs_words() -> None:
    data = _rename_class(model_to_bytes(make_model("functional", 1)), "LSTM", "MyFancyLSTM")
    with pytest.raises(CorruptModelFile) as caught:
        load_model_bytes(data, "custom.keras")
    message = str(caught.value)
    assert message.startswith("custom.keras could not be loaded as a Keras model: it uses ")
    assert "MyFancyLSTM" in message and "not built into Keras" in message
    assert "register_keras_serializable" not in message and "\x1b" not in message


def test_recurrent_layers_are_found_in_cells_and_nested_models() -> None:
    from tests.gallery_models import nested_sequential, rnn_cells

    for model in (rnn_cells(), nested_sequential()):
        assert load_model_bytes(model_to_bytes(model)).name == model.name
    with pytest.raises(NoRecurrentLayer):
        load_model_bytes(bad_upload("no_recurrent"))
    # inspect shows any model: without the requirement it loads.
    assert load_model_bytes(bad_upload("no_recurrent"), recurrent_only=False).name == "dense_only"


def test_saved_compile_settings_are_read_from_the_file() -> None:
    from bilstm_lab.models.model_io import saved_compile_config

    model = make_model("functional", 1)
    assert saved_compile_config(model_to_bytes(model)) is None
    model.compile("adam", "mse", metrics=["mae"])
    settings = saved_compile_config(model_to_bytes(model))
    assert settings is not None and settings["loss"] == "mse" and settings["metrics"] == ["mae"]
    assert saved_compile_config(b"not a zip") is None


def test_the_unpacked_limit_grows_with_the_upload_limit() -> None:
    limit = max(100 * 1024 * 1024, 2 * model_io.MAX_UPLOAD_BYTES)
    assert limit == model_io.MAX_UNPACKED_BYTES
