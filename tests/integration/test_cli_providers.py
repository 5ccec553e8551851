import uuid

import pytest

from herald.cli import main
from herald.local.emulators import Emulators

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
