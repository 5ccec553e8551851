"""Courier's automations API: invoke (ad hoc or a stored template), templates, runs."""

from __future__ import annotations

from herald.api import models_automations as a
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, Query
from herald.resources.automations import AutomationTemplateBody

router = Router()
TAG = "Automations"
IDEMPOTENT = " Send `Idempotency-Key` to make retries safe."


@router.post(
    "/automations/invoke",
    summary="Invoke an ad hoc automation",
    tag=TAG,
    description=(
        "Runs the steps given (`automation: {steps, cancelation_token}`) for the recipient;"
        " each is checked now, a bad one is a 400 naming `automation.steps[<i>].<field>`."
        + IDEMPOTENT
    ),
    answers=(Answer(202, a.AutomationInvoked, "accepted; the run's steps follow"),),
)
def invoke_ad_hoc(ctx: Context) -> HttpResponse:
    run_id = ctx.services.automations.invoke_ad_hoc(ctx.workspace, ctx.request.json())
    return HttpResponse(202, {"runId": run_id})


@router.post(
    "/automations/{template_id}/invoke",
    summary="Invoke a stored automation",
    tag=TAG,
    description="Runs a stored automation template's steps for the recipient." + IDEMPOTENT,
    answers=(Answer(202, a.AutomationInvoked, "accepted; the run's steps follow"),),
)
def invoke_template(ctx: Context) -> HttpResponse:
    run_id = ctx.services.automations.invoke_template(
        ctx.workspace, ctx.params["template_id"], ctx.request.json()
    )
    return HttpResponse(202, {"runId": run_id})


# Before the templates' routes: /automations/runs is no template's id.
@router.get(
    "/automations/runs",
    summary="List automation runs",
    tag=TAG,
    answers=(Answer(200, a.AutomationRunPage, "a page of runs"),),
    query=(
        Query("cursor", "the next_cursor of the previous page"),
        Query("limit", "runs per page, 1 to 50 (20 if not given)"),
    ),
)
def list_runs(ctx: Context) -> HttpResponse:
    query = ctx.request.query
    return HttpResponse(
        200,
        ctx.services.automation_runs.find(ctx.workspace, query.get("cursor"), query.get("limit")),
    )


@router.get(
    "/automations/runs/{run_id}",
    summary="Get an automation run",
    tag=TAG,
    answers=(Answer(200, a.AutomationRunView, "the run and each step's state"),),
)
def get_run(ctx: Context) -> HttpResponse:
    return HttpResponse(200, ctx.services.automation_runs.get(ctx.workspace, ctx.params["run_id"]))


@router.get(
    "/automations/runs/{run_id}/steps",
    summary="List an automation run's steps",
    tag=TAG,
    answers=(Answer(200, a.AutomationRunSteps, "each step's state, in order"),),
)
def get_run_steps(ctx: Context) -> HttpResponse:
    return HttpResponse(
        200, ctx.services.automation_runs.steps(ctx.workspace, ctx.params["run_id"])
    )


@router.get(
    "/automations",
    summary="List automation templates",
    tag=TAG,
    answers=(Answer(200, a.AutomationTemplatePage, "a page of templates"),),
    query=(
        Query("cursor", "the cursor of the previous page"),
        Query("version", "only `published`: Herald keeps no drafts", enum=("published",)),
    ),
)
def list_templates(ctx: Context) -> HttpResponse:
    templates = ctx.services.automations.templates
    return HttpResponse(200, templates.find(ctx.workspace, ctx.request.query.get("cursor")))


@router.put(
    "/automations/{template_id}",
    summary="Store an automation template",
    tag=TAG,
    description="Herald's own: Courier authors automation templates in its app.",
    request=AutomationTemplateBody,
    answers=(NO_CONTENT,),
)
def put_template(ctx: Context) -> HttpResponse:
    ctx.services.automations.store_template(
        ctx.workspace, ctx.params["template_id"], ctx.request.json()
    )
    return HttpResponse(204, None)


@router.get(
    "/automations/{template_id}",
    summary="Get an automation template",
    tag=TAG,
    answers=(Answer(200, a.AutomationTemplateDetail, "the template and its steps"),),
)
def get_template(ctx: Context) -> HttpResponse:
    templates = ctx.services.automations.templates
    return HttpResponse(200, templates.get(ctx.workspace, ctx.params["template_id"]))


@router.delete(
    "/automations/{template_id}",
    summary="Delete an automation template",
    tag=TAG,
    description="Runs already invoked from it go on.",
    answers=(NO_CONTENT,),
)
def delete_template(ctx: Context) -> HttpResponse:
    ctx.services.automations.templates.delete(ctx.workspace, ctx.params["template_id"])
    return HttpResponse(204, None)
