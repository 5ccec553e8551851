"""``./herald timezone``: a workspace's zone for digests, shown, set, refused or cleared."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from herald import bootstrap
from herald.store.memory import InMemoryWorkspaces
from herald_tools import cli


def run(workspaces: InMemoryWorkspaces, zone: str | None, clear: bool = False) -> int:
    args = argparse.Namespace(workspace="ws1", zone=zone, clear=clear)
    return cli._timezone(args)


def test_the_command_sets_refuses_and_clears_the_zone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    workspaces = InMemoryWorkspaces()
    monkeypatch.setattr(
        bootstrap, "FirestoreAdapters", lambda: SimpleNamespace(workspaces=workspaces)
    )
    assert run(workspaces, None) == 0
    assert "UTC" in capsys.readouterr().out
    assert run(workspaces, "Europe/Paris") == 0
    assert workspaces.settings("ws1").timezone == "Europe/Paris"
    assert run(workspaces, "Mars/Olympus") == 2
    assert "IANA" in capsys.readouterr().err
    assert workspaces.settings("ws1").timezone == "Europe/Paris"
    assert run(workspaces, None, clear=True) == 0
    assert workspaces.settings("ws1").timezone is None
