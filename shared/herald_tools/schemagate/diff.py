"""Is a new JSON Schema compatible with an old one? The breaking changes between two versions.

An event's old payloads outlive the code that wrote them: in the outbox, in dead
letters, on the durable timer, in a redrive. So a new schema for the same event
version must accept every payload the old one accepted (a consumer deployed with
the new models reads the old payloads), and keep every field the old one had
(a consumer written against the old schema may read it). What breaks that:

- a property removed (or renamed: removed, and another added);
- a new required property, or an optional one made required;
- a type narrowed (``number`` to ``integer``, a nullable field made non-null),
  an ``enum`` or ``const`` shrunk, a bound tightened (``maxLength``,
  ``minimum``, ``pattern``, ``format``, ...);
- ``additionalProperties`` tightened;
- an optional property's default changed (old payloads without it now mean
  something else).

A new optional property passes, and so does anything that only widens. The
comparison is structural over the subset of JSON Schema that pydantic emits:
local ``$ref``s, ``anyOf``/``oneOf`` as alternatives, ``type``, ``enum``,
``const``, ``properties``, ``required``, ``additionalProperties``, ``items`` and
the usual bounds. It errs towards reporting: a change it cannot prove safe, such
as a new ``pattern``, counts as breaking.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

ANY_TYPE = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})

# Bounds that tighten when they go down (upper bounds) or up (lower bounds).
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
# Constraints whose change cannot be proven to widen: any change breaks.
OPAQUE_CONSTRAINTS = ("pattern", "format", "multipleOf", "uniqueItems")

MAX_DEPTH = 64  # recursive models: compare this deep, no further


@dataclass(frozen=True)
class BreakingChange:
    path: str  # where, as a dotted path into the payload ("" is the payload itself)
    kind: str  # removed, required, type-narrowed, enum-shrunk, bound-tightened, ...
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '(payload)'}: {self.detail}"


def breaking_changes(old: Schema, new: Schema) -> list[BreakingChange]:
    """Every change from ``old`` to ``new`` that a payload or consumer of ``old`` would notice."""
    return list(_Comparison(old, new).compare(old, new, "", 0))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _covers(types: frozenset[str], json_type: str) -> bool:
    return json_type in types or (json_type == "integer" and "number" in types)


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root

    # -- reading schemas -------------------------------------------------------------

    @staticmethod
    def _resolve(node: Any, root: Schema) -> Schema:
        """Follows local ``$ref``s; a ``$ref``'s sibling keywords apply too."""
        if node is True or node is None:
            return {}
        if node is False:
            return {"not": {}}
        schema: Schema = dict(node)
        for _ in range(MAX_DEPTH):
            ref = schema.pop("$ref", None)
            if ref is None:
                break
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are supported, not {ref!r}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            schema = {**target, **schema}
        if len(all_of := schema.pop("allOf", [])) == 1:  # pydantic's wrapper around a $ref
            schema = {**_Comparison._resolve(all_of[0], root), **schema}
        elif all_of:
            schema["allOf"] = all_of
        return schema

    def _alternatives(self, node: Any, root: Schema) -> list[Schema]:
        """The schema as a list of alternatives (``anyOf``/``oneOf`` flattened)."""
        schema = self._resolve(node, root)
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                shared = {k: v for k, v in schema.items() if k != keyword}
                return [
                    alternative
                    for branch in schema[keyword]
                    for alternative in self._alternatives({**shared, **branch}, root)
                ]
        return [schema]

    @staticmethod
    def _values(schema: Schema) -> list[Any] | None:
        """The only values a schema allows (``enum``/``const``), or None when not limited."""
        if "const" in schema:
            return [schema["const"]]
        if "enum" in schema:
            return list(schema["enum"])
        return None

    @classmethod
    def _types(cls, schema: Schema) -> frozenset[str]:
        if "not" in schema and schema["not"] == {}:
            return frozenset()
        values = cls._values(schema)
        if values is not None:
            return frozenset(_json_type(v) for v in values)
        declared = schema.get("type")
        if declared is None:
            return ANY_TYPE
        return frozenset([declared] if isinstance(declared, str) else declared)

    # -- comparing -------------------------------------------------------------------

    def compare(self, old: Any, new: Any, path: str, depth: int) -> Iterator[BreakingChange]:
        if depth > MAX_DEPTH:
            return
        new_alternatives = self._alternatives(new, self.new_root)
        for old_schema in self._alternatives(old, self.old_root):
            for json_type in sorted(self._types(old_schema)):
                match = next(
                    (n for n in new_alternatives if _covers(self._types(n), json_type)), None
                )
                if match is None:
                    yield BreakingChange(
                        path, "type-narrowed", f"{json_type} values are no longer accepted"
                    )
                    continue
                yield from self._same_type(old_schema, match, json_type, path, depth)

    def _same_type(
        self, old: Schema, new: Schema, json_type: str, path: str, depth: int
    ) -> Iterator[BreakingChange]:
        yield from self._values_kept(old, new, json_type, path)
        yield from self._bounds_kept(old, new, path)
        if json_type == "object":
            yield from self._object(old, new, path, depth)
        elif json_type == "array" and ("items" in old or "items" in new):
            yield from self.compare(
                old.get("items", {}), new.get("items", {}), f"{path}[]", depth + 1
            )

    def _values_kept(
        self, old: Schema, new: Schema, json_type: str, path: str
    ) -> Iterator[BreakingChange]:
        new_values = self._values(new)
        if new_values is None:
            return
        old_values = self._values(old)
        if old_values is None:
            yield BreakingChange(path, "enum-shrunk", f"now limited to {new_values!r}")
            return
        dropped = [v for v in old_values if _json_type(v) == json_type and v not in new_values]
        if dropped:
            yield BreakingChange(path, "enum-shrunk", f"no longer accepts {dropped!r}")

    @staticmethod
    def _bounds_kept(old: Schema, new: Schema, path: str) -> Iterator[BreakingChange]:
        for keyword in UPPER_BOUNDS + LOWER_BOUNDS:
            if keyword not in new:
                continue
            before, after = old.get(keyword), new[keyword]
            tighter = before is None or (
                after < before if keyword in UPPER_BOUNDS else after > before
            )
            if tighter:
                was = "unbounded" if before is None else before
                yield BreakingChange(
                    path, "bound-tightened", f"{keyword} tightened from {was} to {after}"
                )
        for keyword in OPAQUE_CONSTRAINTS:
            if keyword in new and old.get(keyword) != new[keyword]:
                yield BreakingChange(
                    path,
                    "constraint-changed",
                    f"{keyword} changed from {old.get(keyword)!r} to {new[keyword]!r}",
                )

    def _object(self, old: Schema, new: Schema, path: str, depth: int) -> Iterator[BreakingChange]:
        old_properties: dict[str, Any] = old.get("properties", {})
        new_properties: dict[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        added = sorted(set(new_properties) - set(old_properties))
        for name in sorted(set(old_properties) - set(new_properties)):
            renamed = f" (renamed? new: {', '.join(added)})" if added else ""
            yield BreakingChange(_join(path, name), "removed", f"property removed{renamed}")
        for name in sorted(new_required - old_required):
            was = "was optional" if name in old_properties else "new property"
            yield BreakingChange(_join(path, name), "required", f"now required ({was})")
        for name in sorted(set(old_properties) & set(new_properties)):
            old_default = self._resolve(old_properties[name], self.old_root).get("default")
            new_default = self._resolve(new_properties[name], self.new_root).get("default")
            if name not in old_required and name not in new_required and old_default != new_default:
                yield BreakingChange(
                    _join(path, name),
                    "default-changed",
                    f"default changed from {old_default!r} to {new_default!r}",
                )
            yield from self.compare(
                old_properties[name], new_properties[name], _join(path, name), depth + 1
            )
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            yield BreakingChange(
                path, "additional-properties-tightened", "additional properties no longer allowed"
            )
        elif new_extra is not False and old_extra is not False:
            yield from self.compare(old_extra, new_extra, _join(path, "*"), depth + 1)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
