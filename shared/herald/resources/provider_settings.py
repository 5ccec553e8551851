"""A workspace's provider configuration (which providers serve each channel, and whether
webhooks may reach private addresses), saved with an entry in its audit trail."""

from __future__ import annotations

from herald.resources.audit_events import CLI_ACTOR, AuditLog
from herald.store.base import WorkspaceRepository, WorkspaceSettings


def save_provider_settings(
    workspaces: WorkspaceRepository, audit: AuditLog, workspace: str, settings: WorkspaceSettings
) -> None:
    workspaces.save_settings(workspace, settings)
    audit.record(workspace, "providers.updated", "providers", CLI_ACTOR, "cli")
