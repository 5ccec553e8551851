"""Herald's Terraform checked against the providers' real schemas, offline.

``terraform validate`` needs the provider, which cannot be downloaded here. The
schema of every type Herald uses is committed instead, extracted from the
provider's published bindings by ``terraform/provider-schema/extract.py``. This
checks each resource, data and ephemeral block against it as ``validate`` would:
the type exists; every argument and nested block (``dynamic`` ones included) is
known where it stands; every required one is present; blocks are written as
blocks and arguments as arguments; a single block appears once.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.unit.tfeval import TERRAFORM

SCHEMA_DIR = TERRAFORM / "provider-schema"


def _load_extract() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "provider_schema_extract", SCHEMA_DIR / "extract.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# The extraction script declares how the HCL is read and which types are in use;
# the checks read it the same way.
extract = _load_extract()

# Meta-arguments Terraform itself takes in each kind of block.
META_ARGUMENTS = {
    "resource": {"count", "for_each", "depends_on", "provider"},
    "data": {"count", "for_each", "depends_on", "provider"},
    "ephemeral": {"count", "for_each", "depends_on", "provider"},
}
META_BLOCKS = {
    "resource": {"lifecycle", "provisioner", "connection"},
    "data": {"lifecycle"},
    "ephemeral": {"lifecycle"},
}
LIFECYCLE = {
    "resource": {
        "create_before_destroy",
        "prevent_destroy",
        "ignore_changes",
        "replace_triggered_by",
        "precondition",
        "postcondition",
    },
    "data": {"precondition", "postcondition"},
    "ephemeral": {"precondition", "postcondition"},
}
DYNAMIC = {"for_each", "iterator", "labels", "content"}


@dataclass(frozen=True)
class Finding:
    file: Path
    line: int
    address: str  # e.g. google_pubsub_subscription.push, data.google_project.this
    path: str  # the argument or block, dotted from the resource: push_config.oidc_token
    message: str

    def __str__(self) -> str:
        where = f"{self.address}.{self.path}" if self.path else self.address
        return f"{self.file}:{self.line}: {where}: {self.message}"


@functools.lru_cache(maxsize=256)
def _parse(path: Path, stamp: tuple[int, int]) -> dict[str, Any]:
    document: dict[str, Any] = extract.load_hcl(path)
    return document


def load_hcl(path: Path) -> dict[str, Any]:
    """A .tf file as the extraction reads it, parsed once while unchanged."""
    status = path.stat()
    return _parse(path, (status.st_mtime_ns, status.st_size))


def schema_files() -> dict[str, dict[str, Any]]:
    """The committed schemas by file name (``google-8.7.0.json``)."""
    return {path.name: json.loads(path.read_text()) for path in sorted(SCHEMA_DIR.glob("*.json"))}


def is_block(value: Any) -> bool:
    """python-hcl2 marks every block body; an object or list of objects in an argument has none."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


def _labelled(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """The (label, body) pairs of labelled blocks such as ``dynamic "x" {}``."""
    if not isinstance(value, list):
        return []
    return [
        (label, body)
        for entry in value
        if isinstance(entry, dict)
        for label, body in entry.items()
        if not label.startswith("__") and isinstance(body, dict)
    ]


Report = Callable[[str, str], None]


def _suggest(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _check_dynamic(
    value: Any, schema: Mapping[str, Any], prefix: str, report: Report, present: set[str]
) -> None:
    labelled = _labelled(value)
    if not labelled or not all(body.get("__is_block__") for _, body in labelled):
        report(f"{prefix}dynamic", 'is a block: dynamic "name" { ... }')
        return
    for label, body in labelled:
        at = f"{prefix}{label}"
        if label in schema["arguments"]:
            report(at, "is an argument: dynamic generates blocks only")
            continue
        if label not in schema["blocks"]:
            report(at, f"no block of this name here{_suggest(label, schema['blocks'])}")
            continue
        present.add(label)
        for key in body:
            if not key.startswith("__") and key not in DYNAMIC:
                report(
                    f"{at}.{key}", "a dynamic block takes for_each, iterator, labels and content"
                )
        if "for_each" not in body:
            report(at, "a dynamic block needs for_each")
        content = body.get("content", [])
        if not is_block(content) or len(content) != 1:
            report(at, "a dynamic block needs exactly one content block")
            continue
        check_body(content[0], schema["blocks"][label], f"{at}.", report)


def check_body(
    body: Mapping[str, Any],
    schema: Mapping[str, Any],
    prefix: str,
    report: Report,
    read_only: frozenset[str] = frozenset(),
    meta: frozenset[str] = frozenset(),
) -> None:
    """Checks one block's body against its schema; ``meta`` are the names Terraform owns."""
    present: set[str] = set()
    for key, value in body.items():
        at = f"{prefix}{key}"
        if key.startswith("__") or key in meta:
            continue
        if key == "dynamic":
            _check_dynamic(value, schema, prefix, report, present)
        elif key in schema["blocks"]:
            block = schema["blocks"][key]
            if not is_block(value):
                report(at, f"is a block: write {key} {{ ... }}, not {key} = ...")
                continue
            present.add(key)
            if len(value) > block.get("max_items", len(value)):
                report(at, f"at most {block['max_items']} such block, found {len(value)}")
            for occurrence in value:
                check_body(occurrence, block, f"{at}.", report)
        elif key in schema["arguments"]:
            if is_block(value):
                report(at, f"is an argument: write {key} = ..., not a block")
                continue
            if value is None and schema["arguments"][key] == "required":
                report(at, "is required and set to null")
            present.add(key)
        elif key in read_only:
            report(at, "is read-only: the provider computes it")
        else:
            known = {**schema["arguments"], **schema["blocks"]}
            report(at, f"no argument or block of this name here{_suggest(key, known)}")
    for name, need in schema["arguments"].items():
        if need == "required" and name not in present:
            report(f"{prefix}{name}", "required argument missing")
    for name, block in schema["blocks"].items():
        if block["required"] and name not in present:
            report(f"{prefix}{name}", "required block missing")


def _check_meta(kind: str, body: Mapping[str, Any], report: Report) -> None:
    for name in META_ARGUMENTS[kind]:
        if name in body and is_block(body[name]):
            report(name, f"is a meta-argument: write {name} = ..., not a block")
    if "count" in body and "for_each" in body:
        report("for_each", "count and for_each exclude each other")
    for name in META_BLOCKS[kind]:
        if name in body and not is_block(body[name]):
            report(name, f"is a block: write {name} {{ ... }}")
    if is_block(body.get("lifecycle")):
        for lifecycle in body["lifecycle"]:
            for key in lifecycle:
                if not key.startswith("__") and key not in LIFECYCLE[kind]:
                    report(f"lifecycle.{key}", f"not a lifecycle setting of a {kind} block")


def _line(text: str, kind: str, type_name: str, name: str) -> int:
    header = re.search(
        rf'^\s*{kind}\s+"?{re.escape(type_name)}"?\s+"?{re.escape(name)}"?\s*\{{', text, re.M
    )
    return text.count("\n", 0, header.start()) + 1 if header else 0


def check_file(path: Path, schema: Mapping[str, Any]) -> list[Finding]:
    """What is wrong, against ``schema``, with the blocks of ``path`` of its provider."""
    findings: list[Finding] = []
    text = path.read_text()
    for kind, type_name, name, body in extract.declared_blocks(load_hcl(path)):
        if extract.provider_of(type_name, body) != schema["provider"]:
            continue
        type_address = extract.address(kind, type_name)
        address = f"{type_address}.{name}"
        line = _line(text, kind, type_name, name)

        def report(at: str, message: str, address: str = address, line: int = line) -> None:
            findings.append(Finding(path, line, address, at, message))

        if type_address not in schema["types"]:
            beta = (
                " (a beta-only type needs provider = google-beta)"
                if schema["provider"] == "google"
                else ""
            )
            report(
                "", f"no {kind} type of this name in {schema['provider']} {schema['version']}{beta}"
            )
            continue
        if not (isinstance(body, dict) and body.get("__is_block__")):
            raise AssertionError(
                "python-hcl2 no longer marks blocks: the checks cannot tell them apart"
            )
        type_schema = schema["types"][type_address]
        _check_meta(kind, body, report)
        meta = frozenset(META_ARGUMENTS[kind] | META_BLOCKS[kind])
        check_body(body, type_schema, "", report, frozenset(type_schema["read_only"]), meta)
    return findings


def check_tree(root: Path, schema: Mapping[str, Any]) -> list[Finding]:
    """Every .tf file under ``root`` checked against one provider release's schema."""
    return [f for path in extract.terraform_files(root) for f in check_file(path, schema)]
