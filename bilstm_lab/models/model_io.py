"""Load an uploaded ``.keras`` file safely, and serialise a model back to bytes.

Uploaded files are hostile: the size is capped here (not only by the server's upload limit),
the archive is inspected before Keras sees it (a tiny zip can inflate to gigabytes), every
weight its config declares is counted before Keras allocates any (`check_config_size`, with
`bilstm_lab.core.config_weights`), Keras loads it with ``safe_mode=True`` (no Lambda bytecode),
and the bytes go to a private temporary file that is always deleted. Every failure is an
`UploadError` naming what is wrong.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import keras

from bilstm_lab.core import explain
from bilstm_lab.core.config_weights import (
    MAX_CONFIG_LAYERS,
    MAX_CONFIG_PARAMS,
    ConfigSize,
    check_config,
)
from bilstm_lab.core.errors import (
    CorruptModelFile,
    EmptyModelFile,
    ModelFileTooLarge,
    NoRecurrentLayer,
    NoSpaceForUpload,
    NotAKerasFile,
    UnsafeModelFile,
    UploadError,
)
from bilstm_lab.core.formatting import megabytes as _mb
from bilstm_lab.core.model_info import MAX_UPLOAD_BYTES, file_too_large
from bilstm_lab.models.introspect import CONVERTIBLE_TYPES, layer_kind, model_layers, walk_layers

# MAX_UPLOAD_BYTES (the size limit) lives in `core.model_info`: the page checks it too.
__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_LAYERS",
    "MAX_CONFIG_PARAMS",
    "MAX_MEMBERS",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "check_archive",
    "check_config_size",
    "load_model_bytes",
    "load_model_file",
    "model_to_bytes",
    "read_model_file",
    "require_recurrent",
    "saved_compile_config",
]
#: Largest total size of the archive's members once inflated (zip-bomb guard): Keras stores
#: its members uncompressed, so a genuine file unpacks to about its own size; a raised upload
#: limit raises this with it.
MAX_UNPACKED_BYTES = max(100 * 1024 * 1024, 2 * MAX_UPLOAD_BYTES)
#: Largest config.json (the model's architecture; real ones are a few kilobytes).
MAX_CONFIG_BYTES = 4 * 1024 * 1024
#: Most members a .keras archive may hold (it normally holds three).
MAX_MEMBERS = 64
# MAX_CONFIG_PARAMS and MAX_CONFIG_LAYERS (what a config may ask Keras to create) live in
# `core.config_weights`, with the walk that counts them.
#: How a legacy HDF5 model file (``model.save("model.h5")``) starts.
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: The errors of a full disk (or a full quota).
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def check_archive(data: bytes, name: str = "the file", max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Check that ``data`` looks like a ``.keras`` archive of sane size, without unpacking it.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        max_bytes: the size limit.

    Raises:
        EmptyModelFile, ModelFileTooLarge, NotAKerasFile: naming the problem.
    """
    if not data:
        raise EmptyModelFile(
            f"{name} is empty (0 bytes): upload a model saved with model.save('model.keras')"
        )
    if len(data) > max_bytes:
        raise file_too_large(name, len(data), max_bytes)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(_HDF5_SIGNATURE):
            raise NotAKerasFile(explain.legacy_h5(name, len(data)))
        if data.startswith(b"PK"):
            raise CorruptModelFile(
                f"{name} is a damaged zip archive (truncated or corrupt): save the model again"
            )
        raise NotAKerasFile(
            f"{name} is not a Keras .keras file (a .keras file is a zip archive; legacy .h5 and "
            f"SavedModel folders are not supported), received {len(data):,} bytes starting {data[:8]!r}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise NotAKerasFile(f"{name} is a damaged zip archive: {error}") from None
    names = {member.filename for member in members}
    if "config.json" not in names or "metadata.json" not in names:
        raise NotAKerasFile(
            f"{name} is a zip archive but not a Keras .keras file (no config.json/metadata.json), "
            f"received members {', '.join(sorted(names)[:5]) or 'none'}"
        )
    config_size = next(m.file_size for m in members if m.filename == "config.json")
    if config_size > MAX_CONFIG_BYTES:  # parsing a giant JSON config costs memory and CPU
        raise ModelFileTooLarge(
            f"{name} has an oversized config.json: the limit is {_mb(MAX_CONFIG_BYTES)}, "
            f"received {_mb(config_size)}"
        )
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise ModelFileTooLarge(
            f"{name} unpacks to too much: the limit is {MAX_MEMBERS} members and "
            f"{_mb(MAX_UNPACKED_BYTES)}, received {len(members)} members and {_mb(unpacked)}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config_text = archive.read("config.json")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        raise CorruptModelFile(
            f"{name} is a damaged zip archive (its config.json cannot be read): save the model again"
        ) from None
    check_config_size(config_text, name)


def _keras_knows(class_name: str, module: Any, registered_name: Any) -> bool:
    """Whether Keras has a layer class (built in, or registered in this process)."""
    registered = isinstance(registered_name, str) and bool(registered_name)
    if registered and keras.saving.get_registered_object(registered_name) is not None:
        return True
    return isinstance(getattr(keras.layers, class_name, None), type)


def check_config_size(config_text: bytes, name: str = "the file") -> ConfigSize:
    """Count every weight the config makes Keras create, from each layer's full input shape,
    and refuse the file when that passes `MAX_CONFIG_PARAMS` — before Keras allocates anything.

    The count follows the shapes from the model's inputs through every layer, nested model,
    wrapper and RNN cell (`bilstm_lab.core.config_weights`); it is bounded in layers
    (`MAX_CONFIG_LAYERS`), nesting and time.

    Returns:
        What loading will cost (the weights equal the loaded model's ``count_params()``).

    Raises:
        CorruptModelFile: unreadable JSON, an impossible size, or a class Keras lacks.
        ModelFileTooLarge: (`ConfigTooLarge`) over a limit.
        UploadError: a layer the lab cannot size, or one carrying code (Lambda, TFSMLayer).
    """
    try:
        config = json.loads(config_text)
    except (ValueError, RecursionError):
        raise CorruptModelFile(
            f"{name} could not be loaded as a Keras model: its config.json is not valid JSON"
        ) from None
    return check_config(config, name, known_class=_keras_knows)


def load_model_bytes(
    data: bytes,
    name: str = "the file",
    max_bytes: int = MAX_UPLOAD_BYTES,
    *,
    recurrent_only: bool = True,
) -> keras.Model:
    """Load a Keras model from uploaded bytes, safely.

    Args:
        data: the file's bytes.
        name: the file name, for messages.
        max_bytes: the size limit.
        recurrent_only: refuse a model without a recurrent or Bidirectional layer (the Convert
            page and ``convert``); ``inspect`` shows any model.

    Returns:
        The model (compiled state dropped: the lab only inspects, converts and predicts; a
        conversion reads the settings with `saved_compile_config`).

    Raises:
        UploadError: a subclass naming what is wrong (empty, too large, not Keras, unsafe,
            corrupt, or no recurrent layer).
    """
    check_archive(data, name, max_bytes)
    try:
        # A private directory (mode 0700), so no other local user can swap the file under Keras.
        folder = tempfile.mkdtemp(prefix="bilstm-lab-upload-")
    except OSError as error:
        raise _no_space(error, name, "unpacked") from None
    try:
        path = Path(folder) / "upload.keras"
        try:
            path.write_bytes(data)
        except OSError as error:
            raise _no_space(error, name, "unpacked") from None
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as error:  # Keras raises many types for a bad archive
            raise _explain_load_error(error, name) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not isinstance(model, keras.Model):
        raise NotAKerasFile(f"{name} holds a {type(model).__name__}, not a Keras model")
    if recurrent_only:
        require_recurrent(model, name)
    return model


def saved_compile_config(data: bytes) -> dict[str, Any] | None:
    """The compile settings (optimizer, loss, metrics) saved in a ``.keras`` file, if any.

    Call it on bytes `check_archive` accepted (the config is already known to be sane).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    settings = config.get("compile_config") if isinstance(config, dict) else None
    return settings if isinstance(settings, dict) and settings else None


#: How Keras names a class or function it does not know (a custom object).
_UNKNOWN_OBJECT = re.compile(r"Could not (?:locate|deserialize) (?:class |function )?'([^']+)'")


def _no_space(error: OSError, name: str, action: str) -> Exception:
    """`NoSpaceForUpload` for a full disk; any other OSError as it was."""
    if error.errno in _NO_SPACE or "No space left on device" in str(error):
        return NoSpaceForUpload(explain.no_space(name, action))
    return error


#: What Keras's safe_mode refusals say, and the lab's reason for each (most specific first).
_UNSAFE_REASONS = (
    ("TFSMLayer", explain.tfsm_layer),
    ("vocabulary file", explain.vocabulary_file),
    ("torch.nn.Module", explain.torch_module),
    ("`Lambda` layer", explain.lambda_layer),
    ("Python lambda", explain.python_lambda),
)


def _explain_load_error(error: Exception, name: str) -> UploadError:
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return NoSpaceForUpload(explain.no_space(name, "unpacked"))
    text = " ".join(str(error).split())
    if "safe_mode" in text:
        for marker, reason in _UNSAFE_REASONS:
            if marker in text:
                return UnsafeModelFile(reason(name))
        return UnsafeModelFile(explain.unsafe_content(name))
    if "No space left on device" in text or "Disk quota exceeded" in text:
        return NoSpaceForUpload(explain.no_space(name, "unpacked"))
    unknown = _UNKNOWN_OBJECT.search(text)
    if unknown:
        unknown_name = unknown[1].rsplit(".", 1)[-1]  # 'keras.layers.MyLSTM' -> 'MyLSTM'
        return CorruptModelFile(
            explain.load_failed(name, explain.unknown_keras_object(unknown_name))
        )
    return CorruptModelFile(
        explain.load_failed(name, explain.unreadable_config(type(error).__name__))
    )


def require_recurrent(model: keras.Model, name: str = "the model") -> None:
    """Raise `NoRecurrentLayer` unless the model has a recurrent or Bidirectional layer.

    Nested models are searched too; ``RNN(cell)`` counts.
    """
    kinds = [type(entry.layer).__name__ for entry in walk_layers(model)]
    if not any(kind in CONVERTIBLE_TYPES or kind == "Bidirectional" for kind in kinds):
        shown = ", ".join(layer_kind(layer) for layer in model_layers(model))
        raise NoRecurrentLayer(
            f"{name} has no LSTM, GRU, SimpleRNN or Bidirectional layer to convert, received "
            f"layers {shown or 'none'}"
        )


def read_model_file(path: str | os.PathLike[str], max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """A model file's bytes, its size checked before it is read (the CLI's files).

    Raises:
        UploadError: for a missing file, or one over the size limit.
    """
    file = Path(path)
    if not file.is_file():
        raise UploadError(f"model file not found, received {str(path)!r}")
    size = file.stat().st_size
    if size > max_bytes:  # refuse before reading it into memory
        raise file_too_large(file.name, size, max_bytes)
    return file.read_bytes()


def load_model_file(
    path: str | os.PathLike[str],
    max_bytes: int = MAX_UPLOAD_BYTES,
    *,
    recurrent_only: bool = True,
) -> keras.Model:
    """Load a model file from disk with the same checks as an upload (the CLI uses this).

    Raises:
        UploadError: for a missing file or any problem `load_model_bytes` reports.
    """
    data = read_model_file(path, max_bytes)
    return load_model_bytes(data, Path(path).name, max_bytes, recurrent_only=recurrent_only)


def model_to_bytes(model: keras.Model) -> bytes:
    """The model as ``.keras`` bytes (for a download button), via a private temporary file."""
    try:
        folder = tempfile.mkdtemp(prefix="bilstm-lab-save-")
        try:
            path = Path(folder) / "model.keras"
            model.save(path)
            return path.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    except OSError as error:
        raise _no_space(error, "the model", "saved") from None
