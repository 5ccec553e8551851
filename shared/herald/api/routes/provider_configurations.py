"""Courier's providers API: the workspace's provider configurations, and the catalog of
the providers Herald has."""

from __future__ import annotations

from herald.api import models_configuration as c
from herald.api.actors import api_actor
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query, cursor
from herald.resources.provider_configurations import (
    ProviderBody,
    ProviderConfigurations,
    ProviderPatch,
    catalog,
)

router = Router()
TAG = "Providers"
CONFIGURATION = "/providers/{id}"


def _configurations(ctx: Context) -> ProviderConfigurations:
    return ProviderConfigurations(
        ctx.services.documents, ctx.services.workspaces, api_actor(ctx.request)
    )


@router.get(
    "/providers/catalog",
    summary="List the providers Herald has",
    tag=TAG,
    answers=(Answer(200, c.CatalogPage, "every match, with the settings each takes"),),
    query=(
        Query("channel", "only this channel's (email, sms, push, direct_message, ...)"),
        Query("keys", "only these providers, comma-separated"),
        Query("name", "only those whose name has this in it (any case)"),
    ),
)
def provider_catalog(ctx: Context) -> HttpResponse:
    return HttpResponse(200, catalog(ctx.request.query))


@router.get(
    "/providers",
    summary="List provider configurations",
    tag=TAG,
    answers=(Answer(200, c.ProviderPage, "a page of configurations, secrets redacted"),),
    query=(cursor("configurations"),),
)
def find_configurations(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _configurations(ctx).find(ctx.workspace, ctx.request.query.get("cursor"))
    )


@router.post(
    "/providers",
    summary="Configure a provider",
    tag=TAG,
    description=(
        "The providers configured for a channel, oldest first, become the workspace's"
        " failover order for it. Secret settings are never answered back; Herald sends"
        " with the deployment's credentials."
    ),
    request=ProviderBody,
    answers=(Answer(200, c.ProviderView, "the configuration, secrets redacted"),),
)
def create_configuration(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _configurations(ctx).create(ctx.workspace, ctx.request.json()))


@router.get(
    CONFIGURATION,
    summary="Get a provider configuration",
    tag=TAG,
    answers=(Answer(200, c.ProviderView, "the configuration, secrets redacted"),),
)
def get_configuration(ctx: Context) -> HttpResponse:
    return HttpResponse(200, _configurations(ctx).get(ctx.workspace, ctx.params["id"]))


@router.put(
    CONFIGURATION,
    summary="Replace a provider configuration",
    tag=TAG,
    description="Its `provider` stays: another is a 400. Settings omitted are removed.",
    request=ProviderBody,
    answers=(Answer(200, c.ProviderView, "the configuration, secrets redacted"),),
)
def replace_configuration(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _configurations(ctx).replace(ctx.workspace, ctx.params["id"], ctx.request.json())
    )


@router.patch(
    CONFIGURATION,
    summary="Change a provider configuration",
    tag=TAG,
    description="`settings` merge as JSON Merge Patch (RFC 7396): null removes a setting.",
    request=ProviderPatch,
    answers=(Answer(200, c.ProviderView, "the configuration, secrets redacted"),),
)
def patch_configuration(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, _configurations(ctx).patch(ctx.workspace, ctx.params["id"], ctx.request.json())
    )


@router.delete(
    CONFIGURATION,
    summary="Delete a provider configuration",
    tag=TAG,
    description="Its channel's failover order loses it (none left: every enabled provider).",
    answers=(NO_CONTENT,),
)
def delete_configuration(ctx: Context) -> HttpResponse:
    _configurations(ctx).delete(ctx.workspace, ctx.params["id"])
    return HttpResponse(204, None)
