"""A journey's own templates, a branch and an experiment, driven by Courier's SDK on the
local stack: the templates made, versioned and localized through
``client.journeys.templates``, the journey wired to them, and each run's mails in the
sink as the way it took says."""

from __future__ import annotations

from typing import Any

import courier
import pytest
from courier import Courier

from tests.conftest import eventually
from tests.e2e.conftest import Client
from tests.e2e.test_journeys import client, mails_to, unique

pytestmark = pytest.mark.e2e
__all__ = ["client"]  # the fixture


def notification(title: str) -> Any:
    block = {
        "type": "channel",
        "channel": "email",
        "elements": [{"type": "meta", "title": title}, {"type": "text", "content": "Hello"}],
    }
    content = {"version": "2022-01-01", "elements": [block]}
    return {"name": title, "brand": None, "subscription": None, "tags": [], "content": content}


def test_a_journey_s_templates_sent_by_a_branch_and_an_experiment(
    client: Courier, sinks: Client
) -> None:
    trigger: Any = {"type": "trigger", "trigger_type": "api-invoke", "id": "start"}
    shell = client.journeys.create(name="Plans", nodes=[trigger])
    templates = client.journeys.templates
    made = {
        title: templates.create(
            shell.id, channel="email", notification=notification(title), state="PUBLISHED"
        ).id
        for title in ("VIP", "Basic", "Variant A", "Variant B", "Spare")
    }
    listed = templates.list(shell.id, limit=10)
    assert sorted(t.id for t in listed.results) == sorted(made.values())
    assert templates.retrieve(made["VIP"], template_id=shell.id).name == "VIP"

    # A draft change, published, then localized; the spare archived.
    spare = made["Spare"]
    templates.replace(spare, template_id=shell.id, notification=notification("Spare 2"))
    assert templates.retrieve(spare, template_id=shell.id).name == "Spare"  # still live
    templates.publish(spare, template_id=shell.id)
    versions = templates.list_versions(spare, template_id=shell.id).versions
    assert [v.version for v in versions] == ["published:v002", "v001"]
    mutation = templates.put_content(
        spare, template_id=shell.id, content=notification("Spare 3")["content"]
    )
    french: Any = [{"id": mutation.elements[-1].id, "content": "Salut"}]
    templates.put_locale("fr", template_id=shell.id, notification_id=spare, elements=french)
    draft = templates.retrieve_content(spare, template_id=shell.id, version="draft")
    assert draft.elements[0].model_dump()["elements"][1]["locales"]["fr"]["content"] == "Salut"
    templates.archive(spare, template_id=shell.id)
    assert spare not in [t.id for t in templates.list(shell.id).results]

    plans: Any = {
        "type": "branch",
        "id": "plan",
        "paths": [
            {
                "label": "VIP",
                "conditions": ["data.plan", "equals", "pro"],
                "nodes": [{"type": "send", "id": "vip", "message": {"template": made["VIP"]}}],
            }
        ],
        "default": {
            "nodes": [{"type": "send", "id": "basic", "message": {"template": made["Basic"]}}]
        },
    }
    variants: Any = [
        {"id": "a", "templateId": made["Variant A"], "weight": 1},
        {"id": "b", "templateId": made["Variant B"], "weight": 1},
    ]
    split: Any = {
        "type": "send",
        "id": "ab",
        "message": {},
        "experiment": {"bucketingKey": "{{recipient}}", "variants": variants},
    }
    client.journeys.replace(
        shell.id, name="Plans", nodes=[trigger, plans, split], state="PUBLISHED"
    )

    users = {unique("pro"): "pro", unique("free"): "free"}
    runs = {
        user: client.journeys.invoke(
            shell.id, user_id=user, profile={"email": f"{user}@example.com"}, data={"plan": plan}
        ).run_id
        for user, plan in users.items()
    }
    for user, plan in users.items():
        address = f"{user}@example.com"

        def two_mails() -> list[dict[str, Any]] | None:
            found = mails_to(sinks, address)  # noqa: B023
            return found if len(found) == 2 else None

        subjects = sorted(m["subject"] for m in eventually(two_mails, what="both mails"))
        assert subjects[0] == ("VIP" if plan == "pro" else "Basic")
        assert subjects[1] in ("Variant A", "Variant B")
        steps = eventually(
            lambda: (
                client.journeys.runs.list_steps(runs[user]).steps  # noqa: B023
                if client.journeys.runs.retrieve(runs[user]).run.status == "PROCESSED"  # noqa: B023
                else None
            ),
            what="the run processed",
        )
        by_node = [(s.action, s.node_id, s.status) for s in steps]
        taken, skipped = ("vip", "basic") if plan == "pro" else ("basic", "vip")
        assert ("branch", "plan", "PROCESSED") in by_node
        assert ("send", taken, "PROCESSED") in by_node
        assert ("send", skipped, "SKIPPED") in by_node
        variant = "a" if subjects[1] == "Variant A" else "b"
        (experiment,) = [s for s in steps if s.action == "experiment"]
        assert experiment.model_dump()["outcome"].startswith(f"variant '{variant}'")

    # Another journey may not send this one's templates.
    thief: Any = {"type": "send", "message": {"template": made["VIP"]}}
    with pytest.raises(courier.BadRequestError, match="belongs to journey"):
        client.journeys.create(
            name="Thief",
            nodes=[trigger, thief],
        )
