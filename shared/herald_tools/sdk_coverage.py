"""Which methods of Courier's Python SDK (``trycourier``) Herald answers.

The SDK is generated: each resource method calls ``self._get``/``_post``/``_put``/
``_patch``/``_delete`` with its path, a literal or ``path_template("/x/{id}", ...)``.
Its source is read with ``ast`` (never imported), so every method is found with its
HTTP method and path template, and each is checked against Herald's router.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from herald.api.http import Router

HTTP_CALLS = {"_get": "GET", "_post": "POST", "_put": "PUT", "_patch": "PATCH", "_delete": "DELETE"}

# Every SDK method Herald does not answer, by resource (``users.tokens``, which covers
# its sub-resources too) or by method (``messages.resend``), with the reason. A method is answered, or covered here; an
# entry here that Herald does answer is an error, so the table stays true.
OMISSIONS: dict[str, str] = {
    "notifications.previews": (
        "screenshots of a template on real mail apps need a farm of them, which Herald does"
        " not run; the console previews a template through the renderer sends use"
    ),
    "previews": "the mail apps and device sets of those screenshots (notifications.previews)",
}


@dataclass(frozen=True)
class SdkMethod:
    resource: str  # as the client reaches it: "users.preferences"
    name: str
    http_method: str
    path: str  # "/users/{user_id}/preferences/{topic_id}"

    @property
    def qualified(self) -> str:
        return f"{self.resource}.{self.name}"


def sdk_resources_dir() -> Path:
    spec = importlib.util.find_spec("courier")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Courier's SDK (trycourier) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def _resource_name(module: Path, root: Path) -> str:
    # lists/lists.py is the client's ``lists``; lists/subscriptions.py its ``lists.subscriptions``.
    parts = list(module.relative_to(root).with_suffix("").parts)
    if len(parts) > 1 and parts[-1] == parts[-2]:
        parts.pop()
    return ".".join(parts)


def _path_of(call: ast.Call, where: str) -> str:
    first = call.args[0] if call.args else None
    if (
        isinstance(first, ast.Call)
        and isinstance(first.func, ast.Name)
        and first.func.id == "path_template"
    ):
        first = first.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    raise ValueError(f"{where}: a request path this reader does not know: {ast.dump(call)[:200]}")


def _requests(function: ast.FunctionDef) -> Iterator[tuple[str, ast.Call]]:
    """Each ``self._get(...)``-like call in the function, with its HTTP method."""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
            and node.func.attr in HTTP_CALLS
        ):
            yield HTTP_CALLS[node.func.attr], node


def sdk_methods(root: Path | None = None) -> list[SdkMethod]:
    """Every method of the SDK's synchronous resources that makes a request."""
    root = root or sdk_resources_dir()
    found: list[SdkMethod] = []
    for module in sorted(root.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            if not any(isinstance(b, ast.Name) and b.id == "SyncAPIResource" for b in cls.bases):
                continue
            for function in cls.body:
                if not isinstance(function, ast.FunctionDef) or function.name.startswith("_"):
                    continue
                calls = list(_requests(function))
                if not calls:
                    continue  # a sub-resource accessor or with_raw_response
                where = f"{module.name}:{cls.name}.{function.name}"
                if len(calls) != 1:
                    raise ValueError(f"{where}: {len(calls)} requests in one method")
                http_method, call = calls[0]
                found.append(
                    SdkMethod(
                        resource=_resource_name(module, root),
                        name=function.name,
                        http_method=http_method,
                        path=_path_of(call, where),
                    )
                )
    return found


_SEGMENT = re.compile(r"\{(\w+)\}")


def _shape(template: str) -> str:
    return _SEGMENT.sub("{}", template.rstrip("/"))


def is_routed(router: Router, method: SdkMethod) -> bool:
    """The router sends this method's request to a route of the same path template."""
    concrete = _SEGMENT.sub(lambda found: f"sample-{found[1]}", method.path)
    route, _, _ = router.match(method.http_method, concrete)
    return route is not None and _shape(route.template) == _shape(method.path)


def omission_for(method: SdkMethod) -> str | None:
    """The table's entry for the method: its own, else its nearest resource's."""
    parts = method.qualified.split(".")
    while parts:
        if (reason := OMISSIONS.get(".".join(parts))) is not None:
            return reason
        parts.pop()
    return None


@dataclass(frozen=True)
class Coverage:
    routed: list[SdkMethod]
    omitted: list[SdkMethod]
    unaccounted: list[SdkMethod]  # neither routed nor in the table
    omitted_but_routed: list[SdkMethod]
    stale_entries: list[str]  # table keys that name no SDK method

    @property
    def total(self) -> int:
        return len(self.routed) + len(self.omitted) + len(self.unaccounted)


def coverage(router: Router, methods: list[SdkMethod] | None = None) -> Coverage:
    methods = sdk_methods() if methods is None else methods
    routed, omitted, unaccounted, both = [], [], [], []
    for method in methods:
        answered = is_routed(router, method)
        listed = omission_for(method) is not None
        if answered:
            routed.append(method)
            if listed:
                both.append(method)
        elif listed:
            omitted.append(method)
        else:
            unaccounted.append(method)
    named = {".".join(m.qualified.split(".")[:n]) for m in methods for n in range(1, 9)}
    stale = sorted(key for key in OMISSIONS if key not in named)
    return Coverage(routed, omitted, unaccounted, both, stale)
