"""Writes of Herald's own documents, encoded straight into protobuf.

The client library encodes each value of a document through proto-plus, which
costs more CPU than the rest of a send together (profiled: about 60 % of the
api's, for a message, its outbox record and its summary). Herald's documents hold
only JSON values (models dumped in JSON mode), so these writes build the same
``Write`` messages with the raw protobuf classes, which is several times
cheaper; anything else is left to the library. A unit test holds every write to
the library's own, field for field.
"""

from __future__ import annotations

from typing import Any

from google.cloud.firestore_v1.types import common, document, write

_Value = document.Value.pb()
_MapValue = document.MapValue.pb()
_ArrayValue = document.ArrayValue.pb()
_Document = document.Document.pb()
_Precondition = common.Precondition.pb()
_Write = write.Write.pb()
_NULL = 0  # google.protobuf.NullValue.NULL_VALUE


class NotJson(TypeError):
    """A value that is not JSON's: the library encodes it (timestamps, references)."""


def _value(value: Any) -> Any:
    if value is None:
        return _Value(null_value=_NULL)
    if isinstance(value, bool):  # before int: a bool is an int
        return _Value(boolean_value=value)
    if isinstance(value, int):
        return _Value(integer_value=value)
    if isinstance(value, float):
        return _Value(double_value=value)
    if isinstance(value, str):
        return _Value(string_value=value)
    if isinstance(value, dict):
        return _Value(map_value=_MapValue(fields=_fields(value)))
    if isinstance(value, list | tuple):
        return _Value(array_value=_ArrayValue(values=[_value(v) for v in value]))
    raise NotJson(type(value).__name__)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {key: _value(item) for key, item in data.items()}


def _stage(writer: Any, reference: Any, data: dict[str, Any], *, create: bool) -> None:
    try:
        update = _Document(name=reference._document_path, fields=_fields(data))
    except NotJson:
        (writer.create if create else writer.set)(reference, data)
        return
    raw = _Write(update=update)
    if create:
        raw.current_document.CopyFrom(_Precondition(exists=False))
    # What the library's create() and set() do with the Write they build.
    writer._document_references[reference._document_path] = reference
    writer._add_write_pbs([write.Write.wrap(raw)])


def stage_create(writer: Any, reference: Any, data: dict[str, Any]) -> None:
    """``writer.create(reference, data)`` (a batch or a transaction), encoded directly."""
    _stage(writer, reference, data, create=True)


def stage_set(writer: Any, reference: Any, data: dict[str, Any]) -> None:
    """``writer.set(reference, data)`` (no merge), encoded directly."""
    _stage(writer, reference, data, create=False)
