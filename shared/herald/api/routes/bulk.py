"""Courier's bulk API: a job's message, its users added in pages, its run and status."""

from __future__ import annotations

from herald.api import models_directory as d
from herald.api.http import Context, HttpResponse, Router
from herald.api.operation import NO_CONTENT, Answer, cursor
from herald.domain.message import MessageState
from herald.ids import new_request_id
from herald.resources.bulk import (
    MAX_BULK_BODY,
    MAX_DEFINITION_BODY,
    BulkJobBody,
    BulkService,
    BulkUsersBody,
    job_view,
    send_message,
)
from herald.store.documents import Document

router = Router()
TAG = "Bulk"


def _bulk(ctx: Context) -> BulkService:
    return BulkService(ctx.services.documents)


def _run(ctx: Context, job: Document) -> MessageState | None:
    """The fan-out record of a job that has run: its cursor and count are the job's."""
    request_id = job.get("request_id")
    return (
        ctx.services.reader.messages.get_message(ctx.workspace, request_id) if request_id else None
    )


@router.post(
    "/bulk",
    summary="Create a bulk job",
    tag=TAG,
    request=BulkJobBody,
    answers=(Answer(201, d.BulkJobCreated, "the job, to add users to"),),
    body_limit=MAX_DEFINITION_BODY,
)
def create_job(ctx: Context) -> HttpResponse:
    def check(message: dict[str, object]) -> None:
        ctx.services.sending.check_message(ctx.workspace, dict(message))

    job_id = _bulk(ctx).create(ctx.workspace, ctx.request.json(), check)
    return HttpResponse(201, {"jobId": job_id})


@router.post(
    "/bulk/{job_id}",
    summary="Add users to a bulk job",
    tag=TAG,
    request=BulkUsersBody,
    answers=(NO_CONTENT,),
    body_limit=MAX_BULK_BODY,
)
def add_users(ctx: Context) -> HttpResponse:
    _bulk(ctx).add_users(ctx.workspace, ctx.params["job_id"], ctx.request.json())
    return HttpResponse(204, None)


@router.post(
    "/bulk/{job_id}/run",
    summary="Run a bulk job",
    tag=TAG,
    answers=(Answer(202, None, "the job runs: its users' messages are made in the pipeline"),),
)
def run_job(ctx: Context) -> HttpResponse:
    job, _ = _bulk(ctx).mark_run(ctx.workspace, ctx.params["job_id"], new_request_id())
    # Again after a crash, or a second call: the job's request is made once.
    ctx.services.sending.send_bulk(
        ctx.workspace, job["request_id"], job["id"], send_message(job["definition"])
    )
    return HttpResponse(202, None)


@router.get(
    "/bulk/{job_id}",
    summary="Get a bulk job",
    tag=TAG,
    answers=(Answer(200, d.BulkJobAnswer, "the job, its counts and status"),),
)
def get_job(ctx: Context) -> HttpResponse:
    job = _bulk(ctx).get(ctx.workspace, ctx.params["job_id"])
    run = _run(ctx, job)
    created = run.fanout.created if run is not None and run.fanout is not None else 0
    return HttpResponse(200, job_view(job, run.status if run else None, created))


@router.get(
    "/bulk/{job_id}/users",
    summary="List a bulk job's users",
    tag=TAG,
    answers=(Answer(200, d.BulkUserPage, "a page of the job's users with their status"),),
    query=(cursor("users"),),
)
def job_users(ctx: Context) -> HttpResponse:
    bulk = _bulk(ctx)
    job = bulk.get(ctx.workspace, ctx.params["job_id"])
    run = _run(ctx, job)
    expanded = run.fanout.cursor if run is not None and run.fanout is not None else None
    return HttpResponse(
        200, bulk.users(ctx.workspace, job["id"], ctx.request.query.get("cursor"), expanded)
    )
