"""Courier's journeys: a list of nodes, read as the steps of an automation run.

A journey runs on the automations' engine: each node Herald supports becomes the step
that does the same (``send`` a send step, ``fetch`` a fetch-data step, ``delay`` and
``throttle`` theirs), so a journey's run is an automation run, with each step naming the
node it came from. The ``api-invoke`` trigger (first) and an ``exit`` (last) are where a
run starts and ends, and make no step. A branch is a step that picks one of its ways,
whose steps follow it (each way's in turn), and a send node's experiment a step that
picks one variant's send, the sends following it: the steps of the ways not taken are
skipped. A node's ``conditions`` are its step's. An add-to-digest node sends the run's
data into the topic's digest. What Herald does not run yet (AI and batch nodes, other
triggers) is a 400 naming the node's field, never a
journey that would do less than it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from herald.domain.automation import (
    MAX_BRANCH_PATHS,
    MAX_BUCKETING_KEY_CHARS,
    MAX_DURATION_CHARS,
    MAX_LABEL_CHARS,
    MAX_VARIANT_WEIGHT,
    MAX_VARIANTS,
)
from herald.domain.journey_conditions import check_conditions
from herald.domain.send import check_identifier
from herald.errors import ValidationFailed
from herald.templating import TemplateError, compile_template

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
    _refuse(node, ("response_schema",), field)
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


def _add_to_digest(node: dict[str, Any], field: str) -> dict[str, Any]:
    _only(node, {"subscription_topic_id", "conditions"}, field)
    topic = node.get("subscription_topic_id")
    try:
        check_identifier(topic)
    except ValueError as exc:
        raise ValidationFailed.of(f"{field}.subscription_topic_id", str(exc)) from exc
    return {"action": "add-to-digest", "subscription_topic_id": topic}


STEP_OF_NODE = {
    "send": _send,
    "delay": _delay,
    "fetch": _fetch,
    "throttle": _throttle,
    "add-to-digest": _add_to_digest,
}
# The node each step action stands for, as a journey run's steps name it.
NODE_OF_ACTION = {"send": "send", "delay": "delay", "fetch-data": "fetch", "throttle": "throttle"}
LATER = ("ai", "batch")
MAX_BRANCH_DEPTH = 5  # branches within branches


@dataclass(frozen=True)
class NodeStep:
    """The step a node stands for: where the node is (``nodes[2].paths[0].nodes[1]``),
    and its id."""

    field: str
    node_id: str | None
    step: dict[str, Any]


def journey_steps(nodes: Any) -> list[NodeStep]:
    """The steps a journey's nodes stand for, a branch's ways flattened after its own
    step; a 400 names ``nodes[<i>].<field>``. The steps themselves are checked as an
    invoke's are, by the caller."""
    if not isinstance(nodes, list):
        raise ValidationFailed.of("nodes", "must be a list of nodes")
    return _steps(nodes, "nodes", 0)


def _steps(nodes: list[Any], field: str, depth: int) -> list[NodeStep]:
    steps: list[NodeStep] = []
    for index, node in enumerate(nodes):
        node_field = f"{field}[{index}]"
        if not isinstance(node, dict):
            raise ValidationFailed.of(node_field, "must be an object with a type")
        node_id = node.get("id")
        if node_id is not None and (
            not isinstance(node_id, str) or not 0 < len(node_id) <= MAX_NODE_ID_CHARS
        ):
            raise ValidationFailed.of(
                f"{node_field}.id", f"must be text of 1 to {MAX_NODE_ID_CHARS} characters"
            )
        kind = node.get("type")
        if kind == "trigger":
            if index != 0 or depth:
                raise ValidationFailed.of(f"{node_field}.type", "a trigger is the first node")
            if node.get("trigger_type") != "api-invoke":
                raise ValidationFailed.of(
                    f"{node_field}.trigger_type", f"{node.get('trigger_type')!r} {NOT_YET}"
                )
            _refuse(node, ("schema", "conditions"), node_field)
            _only(node, {"trigger_type", "schema", "conditions"}, node_field)
            continue
        if kind == "exit":
            if index != len(nodes) - 1:
                raise ValidationFailed.of(
                    f"{node_field}.type", "an exit is the last node: the nodes after it never run"
                )
            _only(node, set(), node_field)
            if depth:  # the end of a branch's way: the run ends there
                steps.append(NodeStep(node_field, node_id, {"action": "exit"}))
            continue
        if kind == "branch":
            steps.extend(_branch(node, node_field, node_id, depth))
            continue
        if kind == "send" and node.get("experiment") is not None:
            steps.extend(_experiment(node, node_field, node_id))
            continue
        if kind in LATER:
            raise ValidationFailed.of(f"{node_field}.type", f"{kind!r} {NOT_YET}")
        translate = STEP_OF_NODE.get(kind) if isinstance(kind, str) else None
        if translate is None:
            raise ValidationFailed.of(
                f"{node_field}.type",
                f"must be one of trigger, {', '.join(STEP_OF_NODE)}, branch, exit (got {kind!r})",
            )
        step = translate(node, node_field)
        _with_conditions(step, node, node_field)
        steps.append(NodeStep(node_field, node_id, step))
    return steps


def _with_conditions(step: dict[str, Any], node: dict[str, Any], field: str) -> None:
    if node.get("conditions") is not None:
        step["conditions"] = check_conditions(node["conditions"], f"{field}.conditions")


def _label(value: Any, field: str) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_LABEL_CHARS):
        raise ValidationFailed.of(field, f"must be text of at most {MAX_LABEL_CHARS} characters")
    return value


def _branch(node: dict[str, Any], field: str, node_id: str | None, depth: int) -> list[NodeStep]:
    """The branch's own step, then the steps of each of its paths and of its default."""
    _only(node, {"paths", "default"}, field)
    if depth + 1 > MAX_BRANCH_DEPTH:
        raise ValidationFailed.of(f"{field}.type", f"branches nest at most {MAX_BRANCH_DEPTH} deep")
    paths = node.get("paths")
    if not isinstance(paths, list) or not 1 <= len(paths) <= MAX_BRANCH_PATHS:
        raise ValidationFailed.of(
            f"{field}.paths", f"must be a list of 1 to {MAX_BRANCH_PATHS} paths"
        )
    ways: list[tuple[str, dict[str, Any]]] = [
        (f"{field}.paths[{i}]", path) for i, path in enumerate(paths)
    ]
    ways.append((f"{field}.default", node.get("default")))  # type: ignore[arg-type]
    arms: list[dict[str, Any]] = []
    below: list[NodeStep] = []
    for way_field, way in ways:
        if not isinstance(way, dict):
            raise ValidationFailed.of(way_field, "must be an object with nodes")
        is_default = way_field.endswith(".default")
        _only(way, {"nodes", "label"} | (set() if is_default else {"conditions"}), way_field)
        arm: dict[str, Any] = {}
        if not is_default:
            if way.get("conditions") is None:
                raise ValidationFailed.of(f"{way_field}.conditions", "a path needs conditions")
            arm["conditions"] = check_conditions(way["conditions"], f"{way_field}.conditions")
        if (label := _label(way.get("label"), f"{way_field}.label")) is not None:
            arm["label"] = label
        way_nodes = way.get("nodes")
        if not isinstance(way_nodes, list):
            raise ValidationFailed.of(f"{way_field}.nodes", "must be a list of nodes")
        way_steps = _steps(way_nodes, f"{way_field}.nodes", depth + 1)
        arm["steps"] = len(way_steps)
        arms.append(arm)
        below.extend(way_steps)
    step = {"action": "branch", "paths": arms[:-1], "default": arms[-1]}
    return [NodeStep(field, node_id, step), *below]


def _experiment(node: dict[str, Any], field: str, node_id: str | None) -> list[NodeStep]:
    """The experiment's own step, then one send step for each variant, its template."""
    experiment = _object(node, "experiment", field)
    exp_field = f"{field}.experiment"
    _only(experiment, {"bucketingKey", "variants", "name"}, exp_field)
    message = _object(node, "message", field)
    if message.get("template") is not None:
        raise ValidationFailed.of(
            f"{field}.message.template", "a send node has a template or an experiment, not both"
        )
    _label(experiment.get("name"), f"{exp_field}.name")
    key = experiment.get("bucketingKey")
    if (
        not isinstance(key, str)
        or not 0 < len(key) <= MAX_BUCKETING_KEY_CHARS
        or key != key.strip()
    ):
        raise ValidationFailed.of(
            f"{exp_field}.bucketingKey",
            f"must be text of 1 to {MAX_BUCKETING_KEY_CHARS} characters, no space around it",
        )
    try:
        compile_template(key)
    except TemplateError as exc:
        raise ValidationFailed.of(f"{exp_field}.bucketingKey", str(exc)) from exc
    variants = experiment.get("variants")
    if not isinstance(variants, list) or not 2 <= len(variants) <= MAX_VARIANTS:
        raise ValidationFailed.of(
            f"{exp_field}.variants", f"must be a list of 2 to {MAX_VARIANTS} variants"
        )
    exp_id = experiment.get("id")
    if exp_id is not None and (not isinstance(exp_id, str) or not exp_id.startswith("exp_")):
        raise ValidationFailed.of(f"{exp_field}.id", "must be an id like exp_...")
    chosen: list[dict[str, Any]] = []
    sends: list[NodeStep] = []
    for index, variant in enumerate(variants):
        variant_field = f"{exp_field}.variants[{index}]"
        if not isinstance(variant, dict):
            raise ValidationFailed.of(variant_field, "must be an object")
        _only(variant, {"templateId", "weight", "name"}, variant_field)  # and its id
        variant_id = variant.get("id")
        if not isinstance(variant_id, str) or not 0 < len(variant_id) <= MAX_LABEL_CHARS:
            raise ValidationFailed.of(
                f"{variant_field}.id", f"must be text of 1 to {MAX_LABEL_CHARS} characters"
            )
        if variant_id in {c["id"] for c in chosen}:
            raise ValidationFailed.of(f"{variant_field}.id", "is another variant's id")
        try:
            check_identifier(variant.get("templateId"))
        except ValueError as exc:
            raise ValidationFailed.of(f"{variant_field}.templateId", str(exc)) from exc
        weight = variant.get("weight")
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0 <= weight <= MAX_VARIANT_WEIGHT  # NaN compares false: refused too
        ):
            raise ValidationFailed.of(
                f"{variant_field}.weight", f"must be a number from 0 to {MAX_VARIANT_WEIGHT:,}"
            )
        _label(variant.get("name"), f"{variant_field}.name")
        entry = {"id": variant.get("id"), "template": variant.get("templateId"), "weight": weight}
        if variant.get("name") is not None:
            entry["name"] = variant["name"]
        chosen.append(entry)
        with_template = {**node, "message": {**message, "template": variant.get("templateId")}}
        with_template.pop("experiment")
        with_template.pop("conditions", None)  # the experiment's step holds them
        sends.append(NodeStep(variant_field, node_id, _send(with_template, variant_field)))
    if sum(c["weight"] for c in chosen) <= 0:
        raise ValidationFailed.of(f"{exp_field}.variants", "the weights must add up to more than 0")
    step: dict[str, Any] = {
        "action": "experiment",
        # Without an id of its own, the node's place: its buckets stay as they were
        # whenever the journey is stored again.
        "experiment_id": exp_id or node_id or field,
        "bucketing_key": key,
        "variants": chosen,
    }
    _with_conditions(step, node, field)
    return [NodeStep(exp_field, node_id, step), *sends]
