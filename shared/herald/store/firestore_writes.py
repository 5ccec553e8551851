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

from collections.abc import Callable
from typing import Any

from google.cloud.firestore_v1.types import write

_Write = write.Write.pb()
_NULL = 0  # google.protobuf.NullValue.NULL_VALUE


class NotJson(TypeError):
    """A value that is not JSON's: the library encodes it (timestamps, references)."""


def _json_type(value: Any) -> type:
    """``value``'s JSON type: its own, or the one it subclasses (a str enum is a str)."""
    kind = type(value)
    if kind in _FILL:
        return kind
    for base in (bool, int, float, str, dict, list, tuple):  # bool before int: a bool is an int
        if isinstance(value, base):
            return base
    raise NotJson(kind.__name__)


def _fill(target: Any, value: Any) -> None:
    """Encodes ``value`` into the ``Value`` message ``target``, in place.

    Built in place, not from keyword arguments: a message given to another's constructor
    is copied, and a document's values nest.
    """
    _FILL[_json_type(value)](target, value)


def _fill_map(target: Any, value: dict[str, Any]) -> None:
    target.map_value.SetInParent()  # an empty map is still a map
    fields = target.map_value.fields
    for key, item in value.items():
        _fill(fields[key], item)


def _fill_array(target: Any, value: list[Any] | tuple[Any, ...]) -> None:
    target.array_value.SetInParent()  # an empty array is still an array
    values = target.array_value.values
    for item in value:
        _fill(values.add(), item)


def _set(name: str) -> Callable[[Any, Any], None]:
    def fill(target: Any, value: Any) -> None:
        setattr(target, name, value)

    return fill


def _fill_null(target: Any, value: None) -> None:
    target.null_value = _NULL


_FILL: dict[type, Callable[[Any, Any], None]] = {
    str: _set("string_value"),
    int: _set("integer_value"),
    bool: _set("boolean_value"),
    float: _set("double_value"),
    type(None): _fill_null,
    dict: _fill_map,
    list: _fill_array,
    tuple: _fill_array,
}


def _stage(writer: Any, reference: Any, data: dict[str, Any], *, create: bool) -> None:
    raw = _Write()
    update = raw.update
    update.name = reference._document_path
    fields = update.fields
    try:
        for key, item in data.items():
            _fill(fields[key], item)
    except NotJson:
        (writer.create if create else writer.set)(reference, data)
        return
    if create:
        raw.current_document.exists = False
    # What the library's create() and set() do with the Write they build.
    writer._document_references[reference._document_path] = reference
    writer._add_write_pbs([write.Write.wrap(raw)])


def stage_create(writer: Any, reference: Any, data: dict[str, Any]) -> None:
    """``writer.create(reference, data)`` (a batch or a transaction), encoded directly."""
    _stage(writer, reference, data, create=True)


def stage_set(writer: Any, reference: Any, data: dict[str, Any]) -> None:
    """``writer.set(reference, data)`` (no merge), encoded directly."""
    _stage(writer, reference, data, create=False)
