"""Settings meant for the local stack are refused anywhere else, at start-up, by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from herald.deployment import (
    LOCAL_LINK_SECRET,
    LOCAL_STACK_MARKER,
    LOCAL_TWILIO_AUTH_TOKEN,
    LOCAL_USER_TOKEN_SECRET,
    LOCAL_WEBHOOK_SECRET,
    is_local_stack,
)
from herald.entrypoints.local_settings import (
    LocalSettingOutsideLocalStack,
    local_only_settings,
    refuse_local_settings,
)
from herald_tools.local.stack import Stack

ROOT = Path(__file__).resolve().parents[2]

LOCAL_ONLY = {
    "HERALD_WEBHOOK_ALLOW_PRIVATE": "true",
    "HERALD_SLACK_ALLOWED_HOSTS": "hooks.slack.com,127.0.0.1",
    "HERALD_LINK_SECRET": f"a-real-secret,{LOCAL_LINK_SECRET}",
    "HERALD_WEBHOOK_SIGNING_SECRET": LOCAL_WEBHOOK_SECRET,
    "TWILIO_AUTH_TOKEN": LOCAL_TWILIO_AUTH_TOKEN,
    "HERALD_USER_TOKEN_SECRET": f"a-real-secret-of-32-bytes-at-the-least,{LOCAL_USER_TOKEN_SECRET}",
}
LOCAL_SLACK_HOSTS = [
    "localhost",
    "api.localhost",
    "127.0.0.1",
    "[::1]",
    "10.0.0.5",
    "169.254.169.254",
]
LOCAL_STACK = {LOCAL_STACK_MARKER: "1", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8681"}
ELSEWHERE = {
    "Cloud Run": {"K_SERVICE": "api"},
    "Cloud Run with the marker copied": {**LOCAL_STACK, "K_SERVICE": "api"},
    "no marker": {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8681"},
    "the marker without the emulator": {LOCAL_STACK_MARKER: "1"},
    "the marker set to something else": {
        LOCAL_STACK_MARKER: "true",
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8681",
    },
}


@pytest.mark.parametrize("where", ELSEWHERE.values(), ids=ELSEWHERE.keys())
@pytest.mark.parametrize(("name", "value"), LOCAL_ONLY.items())
def test_each_local_only_setting_is_refused_outside_the_local_stack_naming_it(
    where: dict[str, str], name: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {**where, name: value}
    assert not is_local_stack(env)
    with pytest.raises(LocalSettingOutsideLocalStack, match=name):
        refuse_local_settings(env)
    [logged] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (logged["severity"], logged["setting"]) == ("ERROR", name)
    assert "refusing to start" in logged["message"]


@pytest.mark.parametrize(("name", "value"), LOCAL_ONLY.items())
def test_the_local_stack_may_have_them(name: str, value: str) -> None:
    refuse_local_settings({**LOCAL_STACK, name: value})


@pytest.mark.parametrize("host", LOCAL_SLACK_HOSTS)
def test_every_kind_of_local_slack_host_is_named(host: str) -> None:
    found = local_only_settings({"HERALD_SLACK_ALLOWED_HOSTS": f"hooks.slack.com, {host}"})
    assert [name for name, _ in found] == ["HERALD_SLACK_ALLOWED_HOSTS"]


def test_deployment_settings_pass() -> None:
    refuse_local_settings(
        {
            "K_SERVICE": "deliver",
            "HERALD_WEBHOOK_ALLOW_PRIVATE": "false",
            "HERALD_SLACK_ALLOWED_HOSTS": "hooks.slack.com",
            "HERALD_LINK_SECRET": "a-real-secret",
            "TWILIO_AUTH_TOKEN": "a-real-token",
        }
    )


def test_a_secret_mounted_as_a_file_is_checked_too(tmp_path: Path) -> None:
    mounted = tmp_path / "link-secret"
    mounted.write_text(LOCAL_LINK_SECRET + "\n")
    found = local_only_settings({"HERALD_LINK_SECRET_FILE": str(mounted)})
    assert [name for name, _ in found] == ["HERALD_LINK_SECRET"]


def test_the_local_stacks_own_settings_pass_there_and_fail_on_cloud_run(tmp_path: Path) -> None:
    env = Stack.with_fast_clocks(tmp_path).env()
    refuse_local_settings(env)
    with pytest.raises(LocalSettingOutsideLocalStack) as refused:
        refuse_local_settings({**env, "K_SERVICE": "api"})
    for name in LOCAL_ONLY:
        assert name in str(refused.value)


def test_a_function_with_a_local_setting_does_not_start_on_cloud_run() -> None:
    probe = (
        "import importlib.util\n"
        "spec = importlib.util.spec_from_file_location('main', 'functions/deliver/main.py')\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print('started')\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in LOCAL_ONLY},
        "K_SERVICE": "deliver",
        "HERALD_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "started" not in run.stdout
    logged = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [line["setting"] for line in logged] == ["HERALD_WEBHOOK_ALLOW_PRIVATE"]
    assert "LocalSettingOutsideLocalStack" in run.stderr
