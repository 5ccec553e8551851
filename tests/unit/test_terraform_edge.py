"""The edge: with ``edge``, the api sits behind an external Application Load Balancer
whose Cloud Armor policy throttles each API key before any instance, and the api
takes no traffic but the load balancer's. What Cloud Armor does with a flood can
only be measured in a real project; checked here are the wiring, the rule and
the limits Cloud Armor documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from herald.resources.audit_events import AuditLog
from herald.resources.keys import create_key
from tests.unit.fakes import Pipeline
from tests.unit.tfeval import (
    HAS_TERRAFORM,
    TERRAFORM,
    blocks,
    evaluate,
    parsed,
    plan_errors,
    resources,
)

EDGE = TERRAFORM / "modules" / "edge"
needs_terraform = pytest.mark.skipif(not HAS_TERRAFORM, reason="terraform is not installed")


def found() -> dict[tuple[str, str], dict[str, Any]]:
    return {(kind, name): body for kind, name, body in resources(EDGE)}


def rules() -> list[dict[str, Any]]:
    policy = found()["google_compute_security_policy", "api"]
    listed: list[dict[str, Any]] = policy["rule"]
    return listed


def root_call(name: str) -> dict[str, Any]:
    call: dict[str, Any] = blocks(parsed(TERRAFORM / "main.tf"), "module")[name]
    return call


def unwrapped(expression: str) -> str:
    assert expression.startswith("${") and expression.endswith("}"), expression
    return expression[2:-1]


# --- the rule -------------------------------------------------------------------------


def test_each_api_key_is_throttled_on_its_authorization_header_with_a_429() -> None:
    [keyed, default] = rules()
    assert keyed["priority"] == 1000
    assert keyed["action"] == '${local.banning ? "rate_based_ban" : "throttle"}'
    # Only requests carrying a key: the others would share one bucket (Cloud Armor's
    # ALL key), and the links in emails and providers' callbacks carry none.
    assert keyed["match"][0]["expr"][0]["expression"] == "has(request.headers['authorization'])"
    options = keyed["rate_limit_options"][0]
    assert options["enforce_on_key"] == "HTTP_HEADER"
    assert options["enforce_on_key_name"] == "authorization"
    assert options["conform_action"] == "allow"
    assert options["exceed_action"] == "deny(429)"
    assert options["rate_limit_threshold"][0] == {
        "count": "${var.requests_per_minute}",
        "interval_sec": 60,
    }
    [ban] = [d["ban_threshold"] for d in options["dynamic"] if "ban_threshold" in d]
    assert ban["for_each"] == "${local.banning ? [var.ban] : []}"
    assert ban["content"][0]["interval_sec"] == 60
    assert options["ban_duration_sec"] == "${local.banning ? var.ban.duration_seconds : null}"
    # Everything else goes on to the api, which checks its own keys.
    assert default["priority"] == "${local.default_rule_priority}"
    assert default["action"] == "allow"
    assert default["match"][0]["config"][0]["src_ip_ranges"] == ["*"]
    locals_ = parsed(EDGE / "main.tf")["locals"][0]
    assert locals_["default_rule_priority"] == 2147483647


@pytest.mark.parametrize("test", [False, True])
def test_every_key_is_told_apart_in_the_128_bytes_cloud_armor_keeps(test: bool) -> None:
    # Cloud Armor keys on the header value's first 128 bytes: two keys alike in
    # those would share one count.
    pipeline = Pipeline()
    audit = AuditLog(pipeline.documents)
    headers = {f"Bearer {create_key(pipeline.keys, audit, 'ws1', test=test)[0]}" for _ in range(3)}
    assert len(headers) == 3
    assert all(len(header.encode()) <= 128 for header in headers)


def test_the_balancer_fronts_the_api_s_service_through_the_policy() -> None:
    resources_ = found()
    neg = resources_["google_compute_region_network_endpoint_group", "api"]
    assert neg["network_endpoint_type"] == "SERVERLESS"
    assert neg["cloud_run"][0]["service"] == "${var.service}"
    backend = resources_["google_compute_backend_service", "api"]
    assert backend["security_policy"] == "${google_compute_security_policy.api.id}"
    assert backend["backend"][0]["group"] == (
        "${google_compute_region_network_endpoint_group.api.id}"
    )
    assert backend["load_balancing_scheme"] == "EXTERNAL_MANAGED"
    proxy = resources_["google_compute_target_https_proxy", "api"]
    assert proxy["ssl_certificates"] == ["${google_compute_managed_ssl_certificate.api.id}"]
    rule = resources_["google_compute_global_forwarding_rule", "api"]
    assert rule["port_range"] == "443"
    assert rule["load_balancing_scheme"] == "EXTERNAL_MANAGED"
    assert rule["ip_address"] == "${google_compute_global_address.api.address}"
    call = root_call("edge")
    assert call["count"] == "${var.edge == null ? 0 : 1}"
    assert call["service"] == '${module.functions.services["api"]}'


# --- off by default; when on, the api takes only the balancer's traffic -----------------

EDGE_ON = {"project_id": "herald-test", "edge": {"domains": ["api.example.com"]}}
EDGE_OFF = {"project_id": "herald-test"}


@needs_terraform
def test_the_api_s_ingress_is_restricted_only_with_the_edge(tmp_path: Path) -> None:
    functions = root_call("functions")
    for setting, off, on in [
        ("public_ingress", "ALLOW_ALL", "ALLOW_INTERNAL_AND_GCLB"),
        ("public_url", None, "https://api.example.com"),
    ]:
        expression = unwrapped(functions[setting])
        assert evaluate(TERRAFORM, expression, EDGE_OFF, tmp_path / f"{setting}-off") == off
        assert evaluate(TERRAFORM, expression, EDGE_ON, tmp_path / f"{setting}-on") == on
    # The functions module applies it to the http-triggered function alone.
    [(_, _, function)] = [
        r
        for r in resources(TERRAFORM / "modules" / "functions")
        if r[0] == "google_cloudfunctions2_function"
    ]
    service = function["service_config"][0]
    assert service["ingress_settings"] == (
        '${each.value.trigger == "http" ? var.public_ingress : "ALLOW_INTERNAL_ONLY"}'
    )
    assert "coalesce(var.public_url, " in service["environment_variables"]
    variables = blocks(parsed(TERRAFORM / "modules" / "functions" / "variables.tf"), "variable")
    assert variables["public_ingress"]["default"] == "ALLOW_ALL"


@needs_terraform
def test_the_edge_is_off_by_default_and_its_api_enabled_only_with_it(tmp_path: Path) -> None:
    variables = blocks(parsed(TERRAFORM / "variables.tf"), "variable")
    assert variables["edge"]["default"] is None
    off = evaluate(TERRAFORM, "local.apis", EDGE_OFF, tmp_path / "off")
    on = evaluate(TERRAFORM, "local.apis", EDGE_ON, tmp_path / "on")
    assert "compute.googleapis.com" not in off
    assert set(on) - set(off) == {"compute.googleapis.com"}


# --- the limits, each at its edge --------------------------------------------------------


def edge(**values: Any) -> dict[str, Any]:
    return {"project_id": "herald-test", "edge": {"domains": ["api.example.com"], **values}}


DOMAINS = "edge.domains must name 1 to 100 domains"
RATE = "edge.requests_per_minute must be a whole number from 1 to 1,000,000"
BAN_RATE = "edge.ban.requests_per_minute must be a whole number from"
BAN_DURATION = "edge.ban.duration_seconds must be a whole number of seconds from 60"
SAMPLE = "edge.log_sample_rate must be from 0 to 1"
LABEL = "a" * 63


@needs_terraform
@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({}, ""),
        ({"domains": [f"api{n}.example.com" for n in range(100)]}, ""),
        ({"domains": [f"api{n}.example.com" for n in range(101)]}, DOMAINS),
        ({"domains": []}, DOMAINS),
        ({"domains": ["*.example.com"]}, DOMAINS),
        ({"domains": ["API.example.com"]}, DOMAINS),
        ({"domains": ["localhost"]}, DOMAINS),
        ({"domains": [f"{LABEL}.{LABEL}.{LABEL}.{'b' * 61}"]}, ""),  # 253 characters
        ({"domains": [f"{LABEL}.{LABEL}.{LABEL}.{'b' * 62}"]}, DOMAINS),  # 254
        ({"domains": [f"{'a' * 64}.example.com"]}, DOMAINS),
        ({"requests_per_minute": 1}, ""),
        ({"requests_per_minute": 1_000_000}, ""),
        ({"requests_per_minute": 0}, RATE),
        ({"requests_per_minute": 1_000_001}, RATE),
        ({"requests_per_minute": 10.5}, RATE),
        ({"requests_per_minute": 10_000, "ban": {"requests_per_minute": 10_000}}, ""),
        ({"requests_per_minute": 10_001, "ban": {"requests_per_minute": 10_000}}, RATE),
        ({"requests_per_minute": 600, "ban": {"requests_per_minute": 600}}, ""),
        ({"requests_per_minute": 600, "ban": {"requests_per_minute": 599}}, BAN_RATE),
        ({"requests_per_minute": 600, "ban": {"requests_per_minute": 10_001}}, BAN_RATE),
        ({"ban": {"requests_per_minute": 9000, "duration_seconds": 60}}, ""),
        ({"ban": {"requests_per_minute": 9000, "duration_seconds": 86_400}}, ""),
        ({"ban": {"requests_per_minute": 9000, "duration_seconds": 59}}, BAN_DURATION),
        ({"ban": {"requests_per_minute": 9000, "duration_seconds": 86_401}}, BAN_DURATION),
        ({"log_sample_rate": 0}, ""),
        ({"log_sample_rate": 1.01}, SAMPLE),
    ],
)
def test_the_edge_s_settings_are_refused_beyond_cloud_armor_s_limits(
    values: dict[str, Any], error: str, tmp_path: Path
) -> None:
    errors = plan_errors(TERRAFORM, edge(**values), tmp_path)
    assert error in errors if error else errors == ""


@needs_terraform
def test_the_rule_bans_only_when_a_ban_is_set(tmp_path: Path) -> None:
    module = {
        "project_id": "herald-test",
        "region": "us-central1",
        "service": "herald-api",
        "domains": ["api.example.com"],
        "requests_per_minute": 600,
    }
    assert evaluate(EDGE, "local.banning", module, tmp_path / "throttle") is False
    ban = {"requests_per_minute": 900, "duration_seconds": 600}
    assert evaluate(EDGE, "local.banning", module | {"ban": ban}, tmp_path / "ban") is True
