"""Each function's deployable source: what Terraform uploads, one archive per function.

An archive holds the function's ``main.py``, the runtime package ``herald`` (its
modules and HTML templates; the tooling, ``herald_tools``, is never deployed) and a
``requirements.txt`` pinned to the
versions tested here, listing only what that function imports. Archives are
deterministic, so their name (``<function>-<content hash>.zip``) changes
exactly when their content does. ``manifest.json`` beside them names each
function's archive and digest: Terraform reads it to upload and deploy them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from herald.topology import FUNCTIONS, FunctionSpec

# What every function imports: the framework, Firestore, the models, the settings,
# telemetry and its exporters (loaded only when configured, but configured in the cloud).
COMMON_REQUIREMENTS = (
    "functions-framework",
    "google-cloud-firestore",
    "pydantic",
    "pydantic-settings",
    "opentelemetry-api",
    "opentelemetry-sdk",
    "opentelemetry-exporter-gcp-trace",
    "opentelemetry-exporter-gcp-monitoring",
    "opentelemetry-resourcedetector-gcp",
    "opentelemetry-exporter-otlp-proto-http",
)
# What ships of the package: its modules, and the HTML templates beside them (herald.markup).
SHIPPED = ("*.py", "templates/*.html", "static/*.js")
MANIFEST = "manifest.json"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Archive:
    function: str
    path: Path
    digest: str


def requirements(spec: FunctionSpec) -> str:
    names = sorted({*COMMON_REQUIREMENTS, *spec.extra_requirements})
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in names)


def _files(root: Path, spec: FunctionSpec) -> dict[str, bytes]:
    package = root / "shared" / "herald"
    files = {"main.py": (root / spec.source).read_bytes(), "requirements.txt": b""}
    for path in sorted(p for pattern in SHIPPED for p in package.rglob(pattern)):
        relative = path.relative_to(package).as_posix()
        if "__pycache__" not in relative:
            files[f"herald/{relative}"] = path.read_bytes()
    files["requirements.txt"] = requirements(spec).encode()
    return files


def build(root: Path, out: Path, spec: FunctionSpec) -> Archive:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(_files(root, spec).items()):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, content, zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{spec.name}-{digest[:16]}.zip"
    path.write_bytes(data)
    return Archive(spec.name, path, digest)


def write_manifest(out: Path, archives: list[Archive]) -> Path:
    """What Terraform deploys: each function's archive (by file name) and its SHA-256."""
    manifest = {
        "archives": {
            a.function: {"file": a.path.name, "sha256": a.digest}
            for a in sorted(archives, key=lambda a: a.function)
        }
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def build_all(root: Path, out: Path) -> list[Archive]:
    """Every function's archive and the manifest; archives of earlier builds are removed."""
    archives = [build(root, out, spec) for spec in FUNCTIONS]
    current = {a.path.name for a in archives}
    for spec in FUNCTIONS:
        for old in out.glob(f"{spec.name}-*.zip"):
            if old.name not in current:
                old.unlink()
    write_manifest(out, archives)
    return archives
