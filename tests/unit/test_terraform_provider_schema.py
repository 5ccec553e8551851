"""Every resource and data block of Herald's Terraform checked against the google
provider's real schema at both ends of the versions Herald admits, offline (the
checks ``terraform validate`` would make, see tests/unit/tfschema.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.unit.tfeval import TERRAFORM, parsed
from tests.unit.tfschema import (
    SCHEMA_DIR,
    Finding,
    check_tree,
    extract,
    load_hcl,
    schema_files,
)

SCHEMAS = schema_files()
GOOGLE = sorted(name for name, schema in SCHEMAS.items() if schema["provider"] == "google")
RERUN = f"run `{extract.COMMAND}` (it downloads the pinned bindings) and commit the result"


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# --- Herald's HCL -----------------------------------------------------------------------


def test_google_is_checked_at_both_ends_of_the_admitted_majors() -> None:
    assert [SCHEMAS[name]["version"] for name in GOOGLE] == ["6.50.0", "8.7.0"]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_resource_and_data_block_matches_the_provider_schema(name: str) -> None:
    findings = check_tree(TERRAFORM, SCHEMAS[name])
    assert not findings, "\n".join(map(str, findings))


def test_the_walk_reaches_every_configuration_and_skips_terraforms_own_copies(
    tmp_path: Path,
) -> None:
    walked = {path.parent for path in extract.terraform_files()}
    configurations = {TERRAFORM} | {
        directory
        for group in ("modules", "examples", "envs")
        if (TERRAFORM / group).is_dir()
        for directory in (TERRAFORM / group).iterdir()
        if any(directory.glob("*.tf"))
    }
    assert configurations <= walked
    assert len(configurations) > 2
    # terraform init copies modules into .terraform/: checked at their source only.
    (tmp_path / ".terraform" / "modules" / "x").mkdir(parents=True)
    (tmp_path / ".terraform" / "modules" / "x" / "main.tf").write_text("")
    (tmp_path / "main.tf").write_text("")
    assert extract.terraform_files(tmp_path) == [tmp_path / "main.tf"]


def test_the_schema_files_hold_exactly_the_types_in_use() -> None:
    used = extract.types_in_use()
    providers = {provider for provider, _ in used}
    pinned = {binding.provider for binding in extract.BINDINGS}
    assert providers <= pinned, (
        f"no pinned bindings for {providers - pinned}: add them to BINDINGS in extract.py"
    )
    expected_files = {b.file_name for b in extract.BINDINGS if b.provider in providers}
    assert set(SCHEMAS) == expected_files, RERUN
    for name, schema in SCHEMAS.items():
        mine = {t for provider, t in used if provider == schema["provider"]}
        held = set(schema["types"]) | set(schema["absent"])
        assert mine <= held, f"{name} lacks {sorted(mine - held)}: {RERUN}"
        assert held <= mine | set(schema["extra_types"]), (
            f"{name} holds unused {sorted(held - mine)}: {RERUN}"
        )
        # Written by the script, not by hand: sorted and formatted as it writes them.
        assert (SCHEMA_DIR / name).read_text() == extract.render(schema), RERUN


# Providers whose constraints must be bracketed by checked releases.
BRACKETED = ("google", "google-beta")


def constraints() -> list[tuple[str, str, str]]:
    """(module, provider, version constraint) of each bracketed provider a versions.tf requires."""
    found = []
    for versions_tf in sorted(TERRAFORM.rglob("versions.tf")):
        [terraform] = parsed(versions_tf)["terraform"]
        for provider, requirement in terraform["required_providers"][0].items():
            if provider in BRACKETED:
                module = str(versions_tf.parent.relative_to(TERRAFORM))
                found.append((module, provider, requirement["version"]))
    return found


@pytest.mark.parametrize(("module", "provider", "constraint"), constraints())
def test_every_admitted_major_is_bracketed_by_a_checked_release(
    module: str, provider: str, constraint: str
) -> None:
    bounds = re.fullmatch(r">=\s*([\d.]+),\s*<\s*([\d.]+)", constraint)
    assert bounds, f"{module}: {provider} {constraint}: write it as >= LOW, < HIGH"
    low, high = _release(bounds.group(1)), _release(bounds.group(2))
    checked = [_release(b.version) for b in extract.BINDINGS if b.provider == provider]
    assert all(low <= release < high for release in checked), "a checked release is not admitted"
    assert min(checked)[0] == low[0], "the oldest admitted major is not checked"
    assert max(checked)[0] == high[0] - 1, "the newest admitted major is not checked"


# --- the checks catch mistakes, in a copy of a real module ------------------------------


def copy_module_declaring(type_name: str, tmp_path: Path) -> tuple[Path, str]:
    """The .tf files of the module declaring a resource of ``type_name``, copied:
    (the copied file that declares it, the resource's name)."""
    for path in extract.terraform_files():
        for kind, declared, name, _ in extract.declared_blocks(load_hcl(path)):
            if kind == "resource" and declared == type_name:
                for tf in path.parent.glob("*.tf"):
                    shutil.copy(tf, tmp_path / tf.name)
                return tmp_path / path.name, name
    raise AssertionError(f"no module declares {type_name}")


def edit_resource(path: Path, type_name: str, name: str, pattern: str, replacement: str) -> None:
    """Replaces the first match of ``pattern`` (multiline) at or after the resource's header."""
    text = path.read_text()
    header = text.index(f'resource "{type_name}" "{name}"')
    edited, count = re.subn(pattern, replacement, text[header:], count=1, flags=re.M)
    assert count == 1, pattern
    path.write_text(text[:header] + edited)


def findings_at(root: Path, schema: str, address: str) -> dict[str, Finding]:
    findings = check_tree(root, SCHEMAS[schema])
    return {f.path: f for f in findings if f.address == address}


@pytest.mark.parametrize("schema", GOOGLE)
def test_a_misspelt_argument_is_reported_with_file_address_and_name(
    schema: str, tmp_path: Path
) -> None:
    path, name = copy_module_declaring("google_pubsub_subscription", tmp_path)
    edit_resource(path, "google_pubsub_subscription", name, r"^(\s*)topic(\s*)=", r"\1topik\2=")
    found = findings_at(tmp_path, schema, f"google_pubsub_subscription.{name}")
    assert found["topik"].file == path
    assert (
        found["topik"].line
        == path.read_text().splitlines().index(f'resource "google_pubsub_subscription" "{name}" {{')
        + 1
    )
    assert "did you mean topic?" in found["topik"].message
    assert str(found["topik"]).startswith(
        f"{path}:{found['topik'].line}: google_pubsub_subscription.{name}.topik: "
    )


@pytest.mark.parametrize("schema", GOOGLE)
def test_a_block_at_the_wrong_level_is_reported(schema: str, tmp_path: Path) -> None:
    # oidc_token belongs inside push_config.
    path, name = copy_module_declaring("google_pubsub_subscription", tmp_path)
    edit_resource(
        path,
        "google_pubsub_subscription",
        name,
        r"\{\n",
        '{\n  oidc_token {\n    service_account_email = "a@b"\n  }\n',
    )
    found = findings_at(tmp_path, schema, f"google_pubsub_subscription.{name}")
    assert found["oidc_token"].file == path
    assert "no argument or block of this name" in found["oidc_token"].message


@pytest.mark.parametrize("schema", GOOGLE)
def test_a_block_written_as_an_argument_and_the_reverse_are_reported(
    schema: str, tmp_path: Path
) -> None:
    path, name = copy_module_declaring("google_pubsub_subscription", tmp_path)
    edit_resource(
        path,
        "google_pubsub_subscription",
        name,
        r"\{\n",
        '{\n  timeouts = { create = "5m" }\n  filter {\n  }\n',
    )
    found = findings_at(tmp_path, schema, f"google_pubsub_subscription.{name}")
    assert "is a block" in found["timeouts"].message
    assert "is an argument" in found["filter"].message


@pytest.mark.parametrize("schema", GOOGLE)
def test_a_missing_required_argument_is_reported(schema: str, tmp_path: Path) -> None:
    path, name = copy_module_declaring("google_pubsub_subscription", tmp_path)
    edit_resource(path, "google_pubsub_subscription", name, r"^(\s*)topic(\s*)=.*$", "")
    found = findings_at(tmp_path, schema, f"google_pubsub_subscription.{name}")
    assert found["topic"].file == path
    assert found["topic"].message == "required argument missing"


@pytest.mark.parametrize("schema", GOOGLE)
def test_a_misspelt_argument_inside_a_dynamic_block_is_reported(
    schema: str, tmp_path: Path
) -> None:
    path, name = copy_module_declaring("google_firestore_index", tmp_path)
    edit_resource(
        path, "google_firestore_index", name, r"^(\s*)field_path(\s*)=", r"\1field_paths\2="
    )
    found = findings_at(tmp_path, schema, f"google_firestore_index.{name}")
    assert "did you mean field_path?" in found["fields.field_paths"].message


@pytest.mark.parametrize("schema", GOOGLE)
def test_an_unknown_type_is_reported(schema: str, tmp_path: Path) -> None:
    path, name = copy_module_declaring("google_pubsub_subscription", tmp_path)
    edit_resource(
        path,
        "google_pubsub_subscription",
        name,
        r"google_pubsub_subscription",
        "google_pubsub_subscriptions",
    )
    found = findings_at(tmp_path, schema, f"google_pubsub_subscriptions.{name}")
    assert "no resource type of this name" in found[""].message


# --- the rules, on a small schema ------------------------------------------------------

THING: dict[str, Any] = {
    "provider": "google",
    "version": "0.0.1",
    "types": {
        "google_thing": {
            "arguments": {"name": "required", "labels": "optional"},
            "blocks": {
                "rule": {
                    "required": True,
                    "arguments": {"kind": "required"},
                    "blocks": {
                        "when": {
                            "required": False,
                            "max_items": 1,
                            "arguments": {"age": "optional"},
                            "blocks": {},
                        }
                    },
                },
                "policy": {
                    "required": False,
                    "max_items": 1,
                    "arguments": {"ttl": "optional"},
                    "blocks": {},
                },
            },
            "read_only": ["uri"],
        },
        "data.google_thing": {
            "arguments": {"name": "optional"},
            "blocks": {},
            "read_only": ["uri"],
        },
    },
}


def check(tmp_path: Path, hcl: str, schema: dict[str, Any] = THING) -> list[str]:
    (tmp_path / "main.tf").write_text(hcl)
    return [
        f"{f.address}.{f.path}: {f.message}" if f.path else f"{f.address}: {f.message}"
        for f in check_tree(tmp_path, schema)
    ]


def test_a_complete_block_with_meta_arguments_passes(tmp_path: Path) -> None:
    hcl = """
resource "google_thing" "a" {
  for_each   = toset(["x"])
  provider   = google.other
  depends_on = [google_thing.b]
  name       = each.key
  labels     = { a = "b" }
  rule {
    kind = "x"
    when {
      age = 1
    }
  }
  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = true
      error_message = "x"
    }
  }
}
data "google_thing" "b" {
  count = 1
}
"""
    assert check(tmp_path, hcl) == []


def test_a_dynamic_block_satisfies_a_required_block_and_its_content_is_checked(
    tmp_path: Path,
) -> None:
    hcl = """
resource "google_thing" "a" {
  name = "a"
  dynamic "rule" {
    for_each = var.rules
    content {
      kinds = rule.value
      dynamic "when" {
        for_each = []
        content {
          age = 1
        }
      }
    }
  }
}
"""
    assert check(tmp_path, hcl) == [
        "google_thing.a.rule.kinds: no argument or block of this name here (did you mean kind?)",
        "google_thing.a.rule.kind: required argument missing",
    ]


def test_a_missing_required_block_and_a_null_required_argument_are_reported(tmp_path: Path) -> None:
    hcl = """
resource "google_thing" "a" {
  name = null
}
"""
    assert check(tmp_path, hcl) == [
        "google_thing.a.name: is required and set to null",
        "google_thing.a.rule: required block missing",
    ]


def test_malformed_dynamic_blocks_are_reported(tmp_path: Path) -> None:
    hcl = """
resource "google_thing" "a" {
  name = "a"
  rule {
    kind = "x"
  }
  dynamic "labels" {
    for_each = []
    content {}
  }
  dynamic "rules" {
    for_each = []
    content {}
  }
  dynamic "policy" {
    content {}
    iterator = p
    each     = 1
  }
}
"""
    assert check(tmp_path, hcl) == [
        "google_thing.a.labels: is an argument: dynamic generates blocks only",
        "google_thing.a.rules: no block of this name here (did you mean rule?)",
        "google_thing.a.policy.each: a dynamic block takes for_each, iterator, labels and content",
        "google_thing.a.policy: a dynamic block needs for_each",
    ]


def test_a_single_block_twice_a_read_only_attribute_and_misused_meta_arguments_are_reported(
    tmp_path: Path,
) -> None:
    hcl = """
resource "google_thing" "a" {
  count    = 1
  for_each = {}
  name     = "a"
  uri      = "https://x"
  rule {
    kind = "x"
  }
  policy {
    ttl = "1s"
  }
  policy {
    ttl = "2s"
  }
  lifecycle {
    ignore_change = [name]
  }
}
data "google_thing" "b" {
  lifecycle {
    prevent_destroy = true
  }
}
"""
    assert check(tmp_path, hcl) == [
        "google_thing.a.for_each: count and for_each exclude each other",
        "google_thing.a.lifecycle.ignore_change: not a lifecycle setting of a resource block",
        "google_thing.a.uri: is read-only: the provider computes it",
        "google_thing.a.policy: at most 1 such block, found 2",
        "data.google_thing.b.lifecycle.prevent_destroy: not a lifecycle setting of a data block",
    ]


def test_data_sources_in_check_blocks_are_checked(tmp_path: Path) -> None:
    hcl = """
check "reachable" {
  data "google_thing" "probe" {
    nme = "x"
  }
  assert {
    condition     = true
    error_message = "x"
  }
}
resource "google_other_thing" "x" {}
"""
    assert check(tmp_path, hcl) == [
        "google_other_thing.x: no resource type of this name in google 0.0.1"
        " (a beta-only type needs provider = google-beta)",
        "data.google_thing.probe.nme: no argument or block of this name here (did you mean name?)",
    ]


def test_a_block_is_checked_against_the_provider_its_meta_argument_names(tmp_path: Path) -> None:
    hcl = """
resource "google_thing" "beta" {
  provider = google-beta.europe
  name     = "a"
  beta     = true
  rule {
    kind = "x"
  }
}
data "google_thing" "plain" {}
"""
    assert check(tmp_path, hcl) == []
    assert check(tmp_path, hcl, {**THING, "provider": "google-beta"}) == [
        "google_thing.beta.beta: no argument or block of this name here",
    ]
    assert extract.types_in_use(tmp_path) == {
        ("google-beta", "google_thing"),
        ("google", "data.google_thing"),
    }


# --- reading the bindings' assembly -----------------------------------------------------


def _prop(
    name: str, anchor: str, jsii_type: dict[str, Any], optional: bool = True
) -> dict[str, Any]:
    link = f"{{@link https://registry.terraform.io/providers/hashicorp/google/9.1.0/docs/resources/thing#{anchor} Thing#{anchor}}}"
    return {
        "name": name,
        "optional": optional,
        "type": jsii_type,
        "docs": {"summary": f"Docs at Terraform Registry: {link}."},
    }


ASSEMBLY: dict[str, Any] = {
    "name": "@cdktn/provider-google",
    "version": "99.0.0",
    "types": {
        "p.provider.GoogleProvider": {
            "kind": "class",
            "base": "cdktn.TerraformProvider",
            "docs": {
                "summary": "Represents a {@link https://registry.terraform.io/providers/hashicorp/google/9.1.0/docs google}."
            },
        },
        "p.thing.Thing": {
            "kind": "class",
            "base": "cdktn.TerraformResource",
            "docs": {
                "summary": "Represents a {@link https://registry.terraform.io/providers/hashicorp/google/9.1.0/docs/resources/thing google_thing}."
            },
            "initializer": {
                "parameters": [
                    {"name": "scope"},
                    {"name": "id"},
                    {"name": "config", "type": {"fqn": "p.thing.ThingConfig"}},
                ]
            },
            "properties": [
                {"name": "tfResourceType", "static": True, "immutable": True},
                {"name": "effectiveLabels", "immutable": True},
                {"name": "nameInput", "immutable": True},
                {"name": "name"},
                {"name": "policy", "immutable": True},
            ],
        },
        "p.thing.ThingConfig": {
            "datatype": True,
            "interfaces": ["cdktn.TerraformMetaArguments"],
            "properties": [
                _prop("name", "name", {"primitive": "string"}, optional=False),
                # The bindings rename what clashes with their own API; the anchor keeps the real name.
                _prop("buildAttribute", "build", {"primitive": "string"}),
                _prop("detectMd5Hash", "detect_md5hash", {"primitive": "string"}),
                {
                    "name": "noAnchorHere",
                    "optional": True,
                    "type": {"primitive": "number"},
                    "docs": {},
                },
                _prop("policy", "policy", {"fqn": "p.thing.ThingPolicy"}),
                _prop(
                    "rule",
                    "rule",
                    {
                        "union": {
                            "types": [
                                {"fqn": "cdktn.IResolvable"},
                                {
                                    "collection": {
                                        "kind": "array",
                                        "elementtype": {"fqn": "p.thing.ThingRule"},
                                    }
                                },
                            ]
                        }
                    },
                    optional=False,
                ),
                _prop(
                    "tags",
                    "tags",
                    {"collection": {"kind": "map", "elementtype": {"primitive": "string"}}},
                ),
                _prop(
                    "enabled",
                    "enabled",
                    {"union": {"types": [{"primitive": "boolean"}, {"fqn": "cdktn.IResolvable"}]}},
                ),
            ],
        },
        "p.thing.ThingPolicy": {
            "datatype": True,
            "properties": [_prop("ttl", "ttl", {"primitive": "string"})],
        },
        "p.thing.ThingRule": {
            "datatype": True,
            "properties": [_prop("kind", "kind", {"primitive": "string"}, optional=False)],
        },
    },
}


def test_the_extraction_reads_blocks_names_requirements_and_computed_attributes() -> None:
    assembly = extract.index(ASSEMBLY)
    wanted = {
        ("google", "google_thing"),
        ("google", "data.google_gone"),
        ("google-beta", "google_x"),
    }
    schema = extract.extract(assembly, wanted, {("google", "google_extra")})
    assert schema == {
        "provider": "google",
        "version": "9.1.0",
        "extracted_from": "@cdktn/provider-google@99.0.0",
        "extra_types": ["google_extra"],
        "absent": ["data.google_gone", "google_extra"],
        "types": {
            "google_thing": {
                "arguments": {
                    "name": "required",
                    "build": "optional",
                    "detect_md5hash": "optional",
                    "no_anchor_here": "optional",
                    "tags": "optional",
                    "enabled": "optional",
                },
                "blocks": {
                    "policy": {
                        "required": False,
                        "max_items": 1,
                        "arguments": {"ttl": "optional"},
                        "blocks": {},
                    },
                    "rule": {"required": True, "arguments": {"kind": "required"}, "blocks": {}},
                },
                "read_only": ["effective_labels"],
            }
        },
    }
    text = extract.render(schema)
    assert text == extract.render(json.loads(text))
    assert list(json.loads(text)["types"]["google_thing"]["arguments"]) == sorted(
        schema["types"]["google_thing"]["arguments"]
    )
