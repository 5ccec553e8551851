"""Courier's journeys API: drafts, versions and publish, invoke, cancel, runs.

Journeys run on the automations' engine: a journey run is an automation run."""

from __future__ import annotations

from herald.api import models_journeys as j
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query

router = Router()
TAG = "Journeys"
IDEMPOTENT = " Send `Idempotency-Key` to make retries safe."


@router.post(
    "/journeys",
    summary="Create a journey",
    tag=TAG,
    description=(
        "Stores the nodes as the journey's draft (published at once with"
        " `state: PUBLISHED`); a node Herald cannot run is a 400 naming"
        " `nodes[<i>].<field>`." + IDEMPOTENT
    ),
    request=j.JourneyBody,
    answers=(Answer(200, j.JourneyView, "the journey"),),
)
def create(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.journeys.create(ctx.workspace, ctx.request.json()))


@router.post(
    "/journeys/cancel",
    summary="Cancel journey runs",
    tag=TAG,
    description=(
        "By `cancelation_token`: every run invoked with it before now stops before its next"
        " step. By `run_id`: that run, now." + IDEMPOTENT
    ),
    request=j.JourneyCancel,
    answers=(Answer(200, j.JourneyCanceled, "the token, or the run's status"),),
)
def cancel(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.journeys.cancel(ctx.workspace, ctx.request.json()))


@router.post(
    "/journeys/{template_id}/invoke",
    summary="Invoke a journey",
    tag=TAG,
    description="Runs the journey's published version for the user." + IDEMPOTENT,
    request=j.JourneyInvoke,
    answers=(Answer(202, j.JourneyInvoked, "accepted; the run's steps follow"),),
)
def invoke(ctx: Context) -> HttpResponse:
    run_id = ctx.services.journeys.invoke(
        ctx.workspace, ctx.params["template_id"], ctx.request.json()
    )
    return HttpResponse(202, {"runId": run_id})


@router.post(
    "/journeys/{template_id}/publish",
    summary="Publish a journey",
    tag=TAG,
    description="Publishes the draft as a new version, or `version` (`vN`) again.",
    request=j.JourneyPublish,
    request_required=False,
    answers=(Answer(200, j.JourneyView, "the journey as published"),),
)
def publish(ctx: Context) -> HttpResponse:
    body = ctx.request.json() if ctx.request.body else None
    return HttpResponse(
        200, ctx.services.journeys.publish(ctx.workspace, ctx.params["template_id"], body)
    )


# Before the journeys' own routes: /journeys/runs is no journey's id.
@router.get(
    "/journeys/runs",
    summary="List journey runs",
    tag=TAG,
    answers=(Answer(200, j.JourneyRunPage, "a page of runs"),),
    query=(
        Query("cursor", "the next_cursor of the previous page"),
        Query("limit", "runs per page, 1 to 50 (20 if not given)"),
    ),
)
def list_runs(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    runs = ctx.services.journeys.runs
    return HttpResponse(200, runs.find(ctx.workspace, query.get("cursor"), query.get("limit")))


@router.get(
    "/journeys/runs/{run_id}",
    summary="Get a journey run",
    tag=TAG,
    answers=(Answer(200, j.JourneyRunAnswer, "the run"),),
)
def get_run(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.journeys.runs.get(ctx.workspace, ctx.params["run_id"]))


@router.get(
    "/journeys/runs/{run_id}/steps",
    summary="List a journey run's steps",
    tag=TAG,
    answers=(Answer(200, j.JourneyRunSteps, "each step, with the node it ran"),),
)
def get_run_steps(ctx: Context) -> HttpResponse:
    runs = ctx.services.journeys.runs
    return HttpResponse(200, runs.steps(ctx.workspace, ctx.params["run_id"]))


@router.get(
    "/journeys",
    summary="List journeys",
    tag=TAG,
    answers=(Answer(200, j.JourneyPage, "a page of journeys"),),
    query=(
        Query("cursor", "the cursor of the previous page"),
        Query("version", "published (the default) or draft", enum=("published", "draft")),
    ),
)
def list_journeys(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    templates = ctx.services.journeys.templates
    return HttpResponse(
        200, templates.find(ctx.workspace, query.get("cursor"), query.get("version"))
    )


@router.get(
    "/journeys/{template_id}/versions",
    summary="List a journey's versions",
    tag=TAG,
    answers=(Answer(200, j.JourneyVersions, "its published versions, the latest first"),),
)
def list_versions(ctx: Context) -> HttpResponse:
    templates = ctx.services.journeys.templates
    return HttpResponse(200, templates.versions(ctx.workspace, ctx.params["template_id"]))


@router.get(
    "/journeys/{template_id}",
    summary="Get a journey",
    tag=TAG,
    answers=(Answer(200, j.JourneyView, "the journey at the version asked"),),
    query=(Query("version", "draft, published (the default) or vN"),),
)
def get(ctx: Context) -> HttpResponse:
    templates = ctx.services.journeys.templates
    version = ctx.request.query.get("version")
    return HttpResponse(200, templates.get(ctx.workspace, ctx.params["template_id"], version))


@router.put(
    "/journeys/{template_id}",
    summary="Replace a journey's draft",
    tag=TAG,
    description="The published version stays live until the draft is published.",
    request=j.JourneyBody,
    answers=(Answer(200, j.JourneyView, "the journey's draft"),),
)
def replace(ctx: Context) -> HttpResponse:
    journeys = ctx.services.journeys
    body = ctx.request.json()
    return HttpResponse(200, journeys.replace(ctx.workspace, ctx.params["template_id"], body))


@router.delete(
    "/journeys/{template_id}",
    summary="Archive a journey",
    tag=TAG,
    description="It can no longer be invoked; its runs go on.",
    answers=(NO_CONTENT,),
)
def archive(ctx: Context) -> HttpResponse:
    ctx.services.journeys.templates.archive(ctx.workspace, ctx.params["template_id"])
    return HttpResponse(204, None)
