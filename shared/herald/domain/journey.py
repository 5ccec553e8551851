"""Courier's journeys: a list of nodes, read as the steps of an automation run.

A journey runs on the automations' engine: each node Herald supports becomes the step
that does the same (``send`` a send step, ``fetch`` a fetch-data step, ``delay`` and
``throttle`` theirs), so a journey's run is an automation run, with each step naming the
node it came from. The ``api-invoke`` trigger (first) and an ``exit`` (last) are where a
run starts and ends, and make no step. What Herald does not run yet (branches,
conditions, experiments, AI and digest nodes, other triggers) is a 400 naming the node's
field, never a journey that would do less than it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from herald.domain.automation import MAX_DURATION_CHARS
from herald.domain.send import check_identifier
from herald.errors import ValidationFailed

MAX_NODE_ID_CHARS = 128
MAX_NAME_CHARS = 200

NOT_YET = "is not supported by Herald yet"
_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_ISO_UNIT_S = {"weeks": 7 * 86400, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def courier_duration(text: Any, field: str) -> str:
    """A journey's duration as the steps read it: ISO 8601 (``PT5M``, ``P1D``) becomes a
    count of seconds; Courier's own text (``5 minutes``) stays as it is."""
    if not isinstance(text, str) or not text:
        raise ValidationFailed.of(field, 'must be a duration, like "PT5M" or "5 minutes"')
    if len(text) > MAX_DURATION_CHARS:
        raise ValidationFailed.of(field, f"is longer than {MAX_DURATION_CHARS} characters")
    if not text.startswith("P"):
        return text  # read (and refused if unreadable) as a step's duration
    found = _ISO_DURATION.fullmatch(text)
    if found is None or text in ("P", "PT") or text.endswith("T"):
        raise ValidationFailed.of(
            field, "must be an ISO 8601 duration of weeks, days, hours, minutes, seconds"
        )
    seconds = sum(int(v) * _ISO_UNIT_S[k] for k, v in found.groupdict().items() if v)
    return f"{seconds} seconds"


def _object(node: dict[str, Any], key: str, field: str) -> dict[str, Any]:
    value = node.get(key)
    if not isinstance(value, dict):
        raise ValidationFailed.of(f"{field}.{key}", "must be an object")
    return value


def _refuse(node: dict[str, Any], keys: tuple[str, ...], field: str) -> None:
    for key in keys:
        if node.get(key) is not None:
            raise ValidationFailed.of(f"{field}.{key}", NOT_YET)


def _only(node: dict[str, Any], keys: set[str], field: str) -> None:
    if unknown := sorted(set(node) - keys - {"type", "id"}):
        raise ValidationFailed.of(f"{field}.{unknown[0]}", "is not a field of this node")


def _send(node: dict[str, Any], field: str) -> dict[str, Any]:
    _refuse(node, ("experiment", "conditions"), field)
    _only(node, {"message", "channel", "experiment", "conditions"}, field)
    message = _object(node, "message", field)
    _refuse(message, ("context", "delay"), f"{field}.message")
    _only(message, {"template", "data", "to", "context", "delay"}, f"{field}.message")
    template = message.get("template")
    if not isinstance(template, str):
        raise ValidationFailed.of(f"{field}.message.template", "a send node needs a template")
    try:
        check_identifier(template)
    except ValueError as exc:
        raise ValidationFailed.of(f"{field}.message.template", str(exc)) from exc
    step: dict[str, Any] = {"action": "send", "template": template}
    if (data := message.get("data")) is not None:
        step["data"] = data
    to = message.get("to")
    if to is not None:
        to_field = f"{field}.message.to"
        if not isinstance(to, dict) or len(to) != 1:
            raise ValidationFailed.of(to_field, "must hold exactly one override")
        ((key, value),) = to.items()
        if key in ("slack", "ms_teams"):
            raise ValidationFailed.of(f"{to_field}.{key}", NOT_YET)
        overrides = {
            "user_id_override": "recipient",
            "email_override": "email",
            "phone_number_override": "phone_number",
        }
        if key not in overrides:
            raise ValidationFailed.of(f"{to_field}.{key}", "is not a field of it")
        if not isinstance(value, str) or not value:
            raise ValidationFailed.of(f"{to_field}.{key}", "must be text")
        if key == "user_id_override":
            step["recipient"] = value
        else:
            step["profile"] = {overrides[key]: value}
    return step


def _delay(node: dict[str, Any], field: str) -> dict[str, Any]:
    _refuse(node, ("conditions",), field)
    mode = node.get("mode")
    if mode == "duration":
        _only(node, {"mode", "duration", "conditions"}, field)
        duration = courier_duration(node.get("duration"), f"{field}.duration")
        return {"action": "delay", "duration": duration}
    if mode == "until":
        _only(node, {"mode", "until", "conditions"}, field)
        return {"action": "delay", "until": node.get("until")}
    raise ValidationFailed.of(f"{field}.mode", "must be duration or until")


def _fetch(node: dict[str, Any], field: str) -> dict[str, Any]:
    _refuse(node, ("conditions", "response_schema"), field)
    _only(
        node,
        {"method", "url", "headers", "body", "query_params", "merge_strategy"}
        | {"conditions", "response_schema"},
        field,
    )
    method = node.get("method")
    if method not in ("get", "delete", "post", "put"):
        raise ValidationFailed.of(f"{field}.method", "must be get, delete, post or put")
    url = node.get("url")
    if not isinstance(url, str):
        raise ValidationFailed.of(f"{field}.url", "must be an http(s) URL")
    query = node.get("query_params")
    if query is not None:
        if not isinstance(query, dict):
            raise ValidationFailed.of(f"{field}.query_params", "must be an object of text")
        url += ("&" if "?" in url else "?") + urlencode(query)
    if node.get("body") is not None and method in ("get", "delete"):
        raise ValidationFailed.of(f"{field}.body", f"a {method} has no body")
    webhook: dict[str, Any] = {"method": method.upper(), "url": url}
    for key in ("headers", "body"):
        if node.get(key) is not None:
            webhook[key] = node[key]
    step: dict[str, Any] = {"action": "fetch-data", "webhook": webhook}
    if node.get("merge_strategy") is not None:
        step["merge_strategy"] = node["merge_strategy"]
    return step


def _throttle(node: dict[str, Any], field: str) -> dict[str, Any]:
    _refuse(node, ("conditions",), field)
    _only(node, {"max_allowed", "period", "scope", "throttle_key", "conditions"}, field)
    step = {
        "action": "throttle",
        "max_allowed": node.get("max_allowed"),
        "period": courier_duration(node.get("period"), f"{field}.period"),
        "scope": node.get("scope"),
    }
    if node.get("throttle_key") is not None:
        step["throttle_key"] = node["throttle_key"]
    return step


STEP_OF_NODE = {"send": _send, "delay": _delay, "fetch": _fetch, "throttle": _throttle}
# The node each step action stands for, as a journey run's steps name it.
NODE_OF_ACTION = {"send": "send", "delay": "delay", "fetch-data": "fetch", "throttle": "throttle"}
LATER = ("branch", "ai", "add-to-digest", "batch")


@dataclass(frozen=True)
class NodeStep:
    """The step a node stands for: where the node is, and its id."""

    index: int
    node_id: str | None
    step: dict[str, Any]


def journey_steps(nodes: Any) -> list[NodeStep]:
    """The steps a journey's nodes stand for; a 400 names ``nodes[<i>].<field>``. The
    steps themselves are checked as an invoke's are, by the caller."""
    if not isinstance(nodes, list):
        raise ValidationFailed.of("nodes", "must be a list of nodes")
    steps: list[NodeStep] = []
    for index, node in enumerate(nodes):
        field = f"nodes[{index}]"
        if not isinstance(node, dict):
            raise ValidationFailed.of(field, "must be an object with a type")
        node_id = node.get("id")
        if node_id is not None and (
            not isinstance(node_id, str) or not 0 < len(node_id) <= MAX_NODE_ID_CHARS
        ):
            raise ValidationFailed.of(
                f"{field}.id", f"must be text of 1 to {MAX_NODE_ID_CHARS} characters"
            )
        kind = node.get("type")
        if kind == "trigger":
            if index != 0:
                raise ValidationFailed.of(f"{field}.type", "a trigger is the first node")
            if node.get("trigger_type") != "api-invoke":
                raise ValidationFailed.of(
                    f"{field}.trigger_type", f"{node.get('trigger_type')!r} {NOT_YET}"
                )
            _refuse(node, ("schema", "conditions"), field)
            _only(node, {"trigger_type", "schema", "conditions"}, field)
            continue
        if kind == "exit":
            if index != len(nodes) - 1:
                raise ValidationFailed.of(
                    f"{field}.type", "an exit is the last node: the nodes after it never run"
                )
            _only(node, set(), field)
            continue
        if kind in LATER:
            raise ValidationFailed.of(f"{field}.type", f"{kind!r} {NOT_YET}")
        translate = STEP_OF_NODE.get(kind) if isinstance(kind, str) else None
        if translate is None:
            raise ValidationFailed.of(
                f"{field}.type",
                f"must be one of trigger, {', '.join(STEP_OF_NODE)}, exit (got {kind!r})",
            )
        steps.append(NodeStep(index, node_id, translate(node, field)))
    return steps
