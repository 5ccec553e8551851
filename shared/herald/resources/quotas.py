"""A workspace's quota on authenticated POSTs: the ceiling the operator grants, the quota
the workspace sets itself, and the one in effect.

The operator's ``herald quota`` sets a workspace's ceiling (else the deployment's
default applies). Through the API (``/quota``) a workspace sets its own quota, at most
that ceiling: an API key opens its whole workspace and carries no role, so a key that
could raise its quota would make the quota no guard against its workspace. Both live in
the workspace's settings; the api's buckets count the lesser of each.

A test namespace (``<workspace>~test``) is held to its workspace's ceiling, with a
quota of its own and a bucket of its own, so test traffic never spends live quota.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from herald.domain.testmode import live_workspace_of, namespace_for_test
from herald.errors import FieldError, ValidationFailed
from herald.resources.parsing import parse_body
from herald.store.base import WorkspaceQuota, WorkspaceRepository, WorkspaceSettings


class QuotaBody(BaseModel):
    """A quota to set: either field alone keeps the other as it is."""

    model_config = ConfigDict(extra="forbid")

    rate: float | None = Field(None, description="requests per second, sustained")
    burst: int | None = Field(None, description="requests at once, after a quiet spell")


class QuotaView(BaseModel):
    rate: float = Field(description="requests per second, sustained: the quota in effect")
    burst: int = Field(description="requests at once, after a quiet spell: in effect")
    ceiling: WorkspaceQuota = Field(
        description="the most this workspace may set: the operator's grant, else the default"
    )
    granted: bool = Field(description="whether the ceiling is the operator's grant")
    own: WorkspaceQuota | None = Field(
        description="the quota the workspace set itself, if any; the lesser of it and the"
        " ceiling is in effect"
    )


# How long the quota in effect is kept: every counted request asks for it, and reading
# the settings, even from their cache, copies them whole. A change made here is seen
# at once; one made elsewhere, once the settings cache has it, within this much more.
IN_EFFECT_CACHE_S = 1.0
# Workspaces whose quota in effect is kept at once; past it, all are read again.
MAX_KEPT = 10_000


class QuotaSettings:
    """Reads and sets workspaces' quotas; the api, its routes and the CLI share it."""

    def __init__(
        self,
        workspaces: WorkspaceRepository,
        default: WorkspaceQuota,
        cache_s: float = IN_EFFECT_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workspaces = workspaces
        self.default = default
        self.cache_s = cache_s
        self.clock = clock
        self._kept: dict[str, tuple[float, WorkspaceQuota]] = {}

    def _changed(self, workspace: str) -> None:
        """Forgets what was kept of ``workspace``, and of its test namespace."""
        self._kept.pop(workspace, None)
        self._kept.pop(namespace_for_test(live_workspace_of(workspace)), None)

    def _granted(self, workspace: str, settings: WorkspaceSettings) -> WorkspaceQuota | None:
        """The operator's grant to ``workspace`` (a test namespace: to its workspace)."""
        live = live_workspace_of(workspace)
        return (settings if live == workspace else self.workspaces.settings(live)).quota

    def _ceiling(self, workspace: str, settings: WorkspaceSettings) -> WorkspaceQuota:
        return self._granted(workspace, settings) or self.default

    def in_effect(self, workspace: str) -> WorkspaceQuota:
        """The quota the api counts ``workspace``'s requests against."""
        now = self.clock()
        kept = self._kept.get(workspace)
        if kept is not None and kept[0] > now:
            return kept[1]
        quota = self._read_in_effect(workspace)
        if len(self._kept) >= MAX_KEPT:
            self._kept.clear()
        self._kept[workspace] = (now + self.cache_s, quota)
        return quota

    def _read_in_effect(self, workspace: str) -> WorkspaceQuota:
        settings = self.workspaces.settings(workspace)
        ceiling = self._ceiling(workspace, settings)
        own = settings.own_quota
        if own is None:
            return ceiling
        return WorkspaceQuota(rate=min(own.rate, ceiling.rate), burst=min(own.burst, ceiling.burst))

    def view(self, workspace: str) -> QuotaView:
        settings = self.workspaces.settings(workspace)
        granted = self._granted(workspace, settings)
        effect = self._read_in_effect(workspace)
        return QuotaView(
            rate=effect.rate,
            burst=effect.burst,
            ceiling=granted or self.default,
            granted=granted is not None,
            own=settings.own_quota,
        )

    def set_own(self, workspace: str, body: object) -> QuotaView:
        """The workspace's own quota (``PUT /quota``), at most its ceiling."""
        given = parse_body(QuotaBody, body)
        settings = self.workspaces.settings(workspace)
        ceiling = self._ceiling(workspace, settings)
        own = quota_of(given, settings.own_quota or ceiling)
        for field, value, most in (
            ("rate", given.rate, ceiling.rate),
            ("burst", given.burst, ceiling.burst),
        ):
            if value is not None and value > most:
                raise ValidationFailed.of(
                    field,
                    f"at most this workspace's ceiling, {most:g}; the operator grants more"
                    " (herald quota)",
                )
        settings.own_quota = own
        self.workspaces.save_settings(workspace, settings)
        self._changed(workspace)
        return self.view(workspace)

    def clear_own(self, workspace: str) -> QuotaView:
        """Back to the ceiling (``DELETE /quota``)."""
        settings = self.workspaces.settings(workspace)
        if settings.own_quota is not None:
            settings.own_quota = None
            self.workspaces.save_settings(workspace, settings)
        self._changed(workspace)
        return self.view(workspace)

    def grant(self, workspace: str, rate: float | None, burst: int | None) -> QuotaView:
        """The operator's ceiling for ``workspace`` (``herald quota``), from the bounds."""
        if live_workspace_of(workspace) != workspace:
            raise ValidationFailed.of(
                "workspace",
                "a test namespace is held to its workspace's ceiling: grant the workspace's",
            )
        settings = self.workspaces.settings(workspace)
        given = QuotaBody(rate=rate, burst=burst)
        settings.quota = quota_of(given, settings.quota or self.default)
        self.workspaces.save_settings(workspace, settings)
        self._changed(workspace)
        return self.view(workspace)

    def grant_default(self, workspace: str) -> QuotaView:
        """The operator's ceiling back to the deployment's default."""
        settings = self.workspaces.settings(workspace)
        settings.quota = None
        self.workspaces.save_settings(workspace, settings)
        self._changed(workspace)
        return self.view(workspace)


def quota_of(given: QuotaBody, current: WorkspaceQuota) -> WorkspaceQuota:
    """``given`` over ``current``, in the bounds every quota keeps; a 400 naming the field."""
    try:
        return WorkspaceQuota(
            rate=current.rate if given.rate is None else given.rate,
            burst=current.burst if given.burst is None else given.burst,
        )
    except ValidationError as exc:
        raise ValidationFailed(
            [FieldError(str(error["loc"][0]), error["msg"]) for error in exc.errors()]
        ) from exc
