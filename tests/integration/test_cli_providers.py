import uuid

import pytest

from herald_tools.cli import main
from herald_tools.local.emulators import Emulators

pytestmark = pytest.mark.integration


def test_a_workspaces_providers_are_set_shown_and_reset(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = "cli-" + uuid.uuid4().hex[:8]
    assert main(["providers", workspace, "email", "sendgrid", "smtp"]) == 0
    assert "email   sendgrid -> smtp" in capsys.readouterr().out
    assert main(["providers", workspace]) == 0
    assert "email   sendgrid -> smtp" in capsys.readouterr().out
    assert main(["providers", workspace, "email", "twilio"]) == 2  # not an email provider
    assert main(["providers", workspace, "email"]) == 0
    assert "email   (every enabled provider)" in capsys.readouterr().out
    assert main(["providers", workspace, "--allow-private-destinations", "yes"]) == 0
    assert "private addresses allowed: yes" in capsys.readouterr().out


def test_a_workspaces_tracking_is_off_until_turned_on(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = "track-" + uuid.uuid4().hex[:8]
    assert main(["tracking", workspace]) == 0
    assert capsys.readouterr().out.strip().endswith("tracking in " + workspace + "'s email: off")
    assert main(["tracking", workspace, "on"]) == 0
    assert main(["tracking", workspace]) == 0
    assert capsys.readouterr().out.strip().endswith("email: on")
    assert main(["providers", workspace, "email", "smtp"]) == 0  # other settings keep it
    assert main(["tracking", workspace, "off"]) == 0
    assert capsys.readouterr().out.strip().endswith("email: off")


def test_a_workspaces_phone_region_is_us_until_set(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = "phone-" + uuid.uuid4().hex[:8]
    assert main(["phone-region", workspace]) == 0
    assert capsys.readouterr().out.strip().endswith("read as in US")
    assert main(["phone-region", workspace, "gb"]) == 0
    assert main(["phone-region", workspace, "XX"]) == 2
    assert "'XX' is not a region" in capsys.readouterr().err
    assert main(["phone-region", workspace]) == 0
    assert capsys.readouterr().out.strip().endswith("read as in GB")


def test_a_created_key_opens_its_workspace_and_only_its_hash_is_stored(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    from google.cloud import firestore

    from herald.ids import hash_api_key
    from herald.store.firestore import FirestoreKeys

    workspace = "keys-" + uuid.uuid4().hex[:8]
    assert main(["keys", "create", workspace]) == 0
    key = capsys.readouterr().out.strip()
    client = firestore.Client(project=emulators.project)
    assert (
        key.startswith("hk_")
        and FirestoreKeys(client).workspace_for(hash_api_key(key)) == workspace
    )
    stored = [doc.id for doc in client.collection("api_keys").stream()]
    assert hash_api_key(key) in stored and key not in stored


def test_cached_settings_last_their_time_then_follow_a_change(emulators: Emulators) -> None:
    from google.cloud import firestore

    from herald.store.base import WorkspaceSettings
    from herald.store.firestore import FirestoreWorkspaces

    client = firestore.Client(project=emulators.project)
    workspace = "cache-" + uuid.uuid4().hex[:8]
    cached, other = FirestoreWorkspaces(client, cache_s=3600), FirestoreWorkspaces(client)
    assert cached.settings(workspace).providers == {}
    other.save_settings(workspace, WorkspaceSettings(providers={"email": ["sendgrid"]}))
    assert cached.settings(workspace).providers == {}  # still its copy: no read
    assert other.settings(workspace).providers == {"email": ["sendgrid"]}
    cached._cache.clear()  # the copy's time is up
    assert cached.settings(workspace).providers == {"email": ["sendgrid"]}


def test_keys_are_listed_without_the_key_and_a_revoked_key_opens_nothing(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    from google.cloud import firestore

    from herald.ids import hash_api_key
    from herald.store.firestore import FirestoreKeys

    workspace = "keys-" + uuid.uuid4().hex[:8]
    assert main(["keys", "create", workspace]) == 0
    key = capsys.readouterr().out.strip()
    assert main(["keys", "list", workspace]) == 0
    listed = capsys.readouterr().out
    [line] = listed.splitlines()[1:]
    key_id, hint, shown_workspace, mode, _, revoked = line.split()
    assert (hint, shown_workspace, mode, revoked) == (key[:7] + "…", workspace, "live", "-")
    assert key not in listed and key[7:] not in listed
    assert main(["keys", "list"]) == 0
    assert key_id in capsys.readouterr().out
    assert main(["keys", "revoke", key_id]) == 0
    assert "revoked" in capsys.readouterr().out
    keys = FirestoreKeys(firestore.Client(project=emulators.project))
    assert keys.workspace_for(hash_api_key(key)) is None
    assert keys.list(workspace)[0].revoked_ms is not None
    assert main(["keys", "revoke", "000000000000"]) == 1


def test_a_workspaces_quota_is_the_default_until_set_and_bad_figures_are_named(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = "quota-" + uuid.uuid4().hex[:8]
    assert main(["quota", workspace]) == 0
    assert capsys.readouterr().out.strip().endswith("(default): 50/s sustained, bursts of 500")
    assert main(["quota", workspace, "--rate", "2", "--burst", "5"]) == 0
    assert main(["quota", workspace, "--burst", "7"]) == 0  # the rate it had stays
    assert capsys.readouterr().out.strip().endswith("(granted): 2/s sustained, bursts of 7")
    assert main(["quota", workspace, "--rate", "0"]) == 2
    assert "--rate: Input should be greater than 0" in capsys.readouterr().err
    assert main(["quota", workspace, "--default"]) == 0
    assert "(default)" in capsys.readouterr().out


def test_tokens_stored_before_the_index_are_indexed_by_reindex(
    emulators: Emulators, capsys: pytest.CaptureFixture[str]
) -> None:
    from google.cloud import firestore

    from herald.resources.tokens import TokenService, indexed_tokens, token_index_path
    from herald.store.firestore_documents import FirestoreDocuments

    workspace = "tok-" + uuid.uuid4().hex[:8]
    documents = FirestoreDocuments(firestore.Client(project=emulators.project))
    before_index = {"provider_key": "firebase-fcm", "status": "active", "updated_ms": 1}
    for user, token in (("ada", "a1"), ("ada", "a2"), ("bob", "b1")):
        documents.put(workspace, ("users", user, "tokens", token), before_index)
    TokenService(documents).put(workspace, "cy", "c1", {"provider_key": "apn"})
    assert documents.get(workspace, token_index_path("ada")) is None
    assert main(["tokens", "reindex", workspace]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{workspace}  ada  2 tokens",
        f"{workspace}  bob  1 token",
        f"{workspace}  cy  1 token",
    ]
    assert "indexed 4 tokens of 3 users" in captured.err
    indexes = documents.get_many(workspace, [token_index_path(u) for u in ("ada", "bob", "cy")])
    assert [[token for token, _ in indexed_tokens(index)] for index in indexes] == [
        ["a1", "a2"],
        ["b1"],
        ["c1"],
    ]
