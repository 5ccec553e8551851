"""A small router and the error-to-status mapping, independent of the web framework.

A route is declared once, on its handler: path, method, models and what the
OpenAPI document says of it (as powertools' resolvers do)::

    @router.post(
        "/send",
        summary="Send a message",
        tag="Send",
        request=SendRequest,
        answers=(Answer(202, SendAccepted, "accepted"),),
        body_limit=MAX_SEND_BYTES,
    )
    def send(ctx: Context) -> HttpResponse: ...

``herald.api.openapi`` builds the document from the registered routes alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired, Protocol, TypedDict, Unpack

from pydantic import BaseModel

from herald.api.bodies import DEFAULT_MAX_BODY, BodyStream, read_body, too_large
from herald.api.operation import Answer, Operation, Query
from herald.domain.send import ID_PATTERN
from herald.errors import (
    Contended,
    InUse,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    ValidationFailed,
)
from herald.ids import hash_api_key
from herald.json_input import parse_json
from herald.observability import logs, metrics
from herald.redaction import error_text
from herald.store.base import KeyRepository, WorkspaceRepository

if TYPE_CHECKING:
    from herald.api.quotas import QuotaDecision, WorkspaceQuotas
    from herald.config import CallbackSettings
    from herald.console.event_stats import EventWebFigures
    from herald.console.sessions import ConsoleSessions
    from herald.domain.feedback import FeedbackRecorder
    from herald.engagement.links import LinkMaker
    from herald.engagement.user_tokens import UserTokens
    from herald.observability.spanfile import TraceStore
    from herald.pipeline.accepting import SendService
    from herald.pipeline.automating import AutomationInvoker
    from herald.pipeline.broadcasting import BroadcastService
    from herald.pipeline.canceling import CancelService
    from herald.pipeline.customer_webhooks.observer import CustomerWebhooks
    from herald.pipeline.digesting import DigestService
    from herald.pipeline.journeys import JourneyService
    from herald.publish.dead_letters import DeadLetters
    from herald.resources.automations import AutomationRuns
    from herald.resources.digests import DigestSchedules
    from herald.resources.inbox import InboxService
    from herald.resources.messages import MessageReader
    from herald.resources.notification_metrics import NotificationMetrics
    from herald.resources.quotas import QuotaSettings
    from herald.resources.webhook_endpoints import EndpointService
    from herald.store.documents import DocumentStore


class ApiServices(Protocol):
    """What route handlers may use; built once per instance at the composition root."""

    @property
    def sending(self) -> SendService: ...

    @property
    def reader(self) -> MessageReader: ...

    @property
    def documents(self) -> DocumentStore: ...

    @property
    def workspaces(self) -> WorkspaceRepository:
        """Each workspace's settings (its providers, its phone region)."""
        ...

    @property
    def quotas(self) -> QuotaSettings:
        """Each workspace's quota on POSTs: its ceiling, its own, the one in effect."""
        ...

    @property
    def canceling(self) -> CancelService: ...

    @property
    def broadcasting(self) -> BroadcastService: ...

    @property
    def feedback(self) -> FeedbackRecorder: ...

    @property
    def links(self) -> LinkMaker | None:
        """Signs and checks email links; None when no link secret is configured."""
        ...

    @property
    def callbacks(self) -> CallbackSettings: ...

    @property
    def webhook_endpoints(self) -> EndpointService: ...

    @property
    def webhook_replays(self) -> CustomerWebhooks: ...

    @property
    def automations(self) -> AutomationInvoker: ...

    @property
    def automation_runs(self) -> AutomationRuns: ...

    @property
    def digest(self) -> DigestService: ...

    @property
    def digest_schedules(self) -> DigestSchedules: ...

    @property
    def notification_metrics(self) -> NotificationMetrics: ...

    @property
    def journeys(self) -> JourneyService: ...

    @property
    def console(self) -> ConsoleSessions | None:
        """Signs and opens console sessions; None when no link secret is configured."""
        ...

    @property
    def inbox(self) -> InboxService: ...

    @property
    def user_tokens(self) -> UserTokens | None:
        """Issues and checks user tokens; None when no user token secret is configured."""
        ...

    def workspace_for_key(self, key: str) -> str | None:
        """The workspace an API key opens, or None."""
        ...

    @property
    def keys(self) -> KeyRepository:
        """The API keys (the console's keys page: one workspace's)."""
        ...

    @property
    def dead_letters(self) -> DeadLetters:
        """Lists and redrives the deployment's dead letters (the console: one workspace's)."""
        ...

    @property
    def traces(self) -> TraceStore | None:
        """Reads a trace's spans back (the span files); None where Cloud Trace keeps them."""
        ...

    @property
    def event_figures(self) -> EventWebFigures | None:
        """The event web's last hour per edge: from the spans, or Cloud Monitoring."""
        ...

    @property
    def cloud_project(self) -> str | None:
        """The Google Cloud project whose Cloud Trace and Cloud Logging hold the spans and
        logs; None on the local stack."""
        ...


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""
    query: Mapping[str, str] = field(default_factory=dict)
    # Every value of each query parameter, for those that repeat (?status=A&status=B).
    query_lists: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # Counted against its workspace's quota already (``Api.admit``), and let through.
    quota: QuotaDecision | None = None

    def query_values(self, name: str) -> list[str]:
        if name in self.query_lists:
            return list(self.query_lists[name])
        return [self.query[name]] if name in self.query else []

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def json(self) -> Any:
        if not self.body:
            raise ValidationFailed.of("body", "is empty; send a JSON object")
        return parse_json(self.body)


@dataclass
class HttpResponse:
    status: int
    body: Any  # JSON, unless ``raw`` is given
    headers: dict[str, str] = field(default_factory=dict)
    # Bytes sent as they are (an HTML page, an image), with their own content-type header.
    raw: bytes | None = None
    # The request's body was refused unread: whatever serves the answer must not read it.
    body_unread: bool = False


class IdempotencyGuard(Protocol):
    """Runs an authenticated request once per ``Idempotency-Key`` (``herald.api.idempotency``)."""

    def run(
        self, request: HttpRequest, workspace: str, answer: Callable[[], HttpResponse]
    ) -> HttpResponse: ...


@dataclass(frozen=True)
class Context:
    request: HttpRequest
    workspace: str
    params: dict[str, str]
    services: ApiServices


Handler = Callable[[Context], HttpResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    operation: Operation  # what the OpenAPI document says of the route
    # Reached without an API key (provider callbacks, unsubscribe links): the handler
    # verifies its own signature or token and finds the workspace from it.
    public: bool = False
    # The largest body the route takes; a larger one is refused before it is read.
    body_limit: int = DEFAULT_MAX_BODY
    # Called from browsers on any origin (a user token, never a cookie, authorizes it):
    # preflights are answered and every answer allows any origin.
    cors: bool = False


def counts_against_quota(route: Route) -> bool:
    """Every POST made with an API key counts against its workspace's quota."""
    return route.method == "POST" and not route.public


class RouteOptions(TypedDict):
    """What a route declares besides its method and path."""

    summary: str
    tag: str
    # Its own answers; the standard errors (400, 401, 404, the idempotency guard's 409
    # and 422 on POSTs, contention's 409, 500) are added by ``herald.api.openapi``.
    answers: tuple[Answer, ...]
    request: NotRequired[type[BaseModel] | None]  # the JSON body's model
    request_required: NotRequired[bool]
    query: NotRequired[tuple[Query, ...]]
    description: NotRequired[str]
    public: NotRequired[bool]
    # A path segment's own regex (a token), instead of an id's.
    patterns: NotRequired[Mapping[str, str]]
    body_limit: NotRequired[int]  # bytes; every route has one (64 KiB unless given)
    cors: NotRequired[bool]


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        # The few cors routes, apart (every answer asks whether its path is one), and how
        # many routes there were when they were picked out.
        self._cors: tuple[int, list[Route]] = (0, [])

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def route(
        self, method: str, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[Handler], Handler]:
        """``path`` may hold ``{name}`` segments, passed to the handler as params.

        A segment matches an id unless ``patterns`` gives it a regex of its own.
        """
        # Ids (Herald's own, or the caller's user and list ids) may not start with
        # "_" or ".": Firestore's reserved names (__x__, ., ..) would be a 500.
        given = options.get("patterns") or {}

        def segment(found: re.Match[str]) -> str:
            return f"(?P<{found[1]}>{given.get(found[1], ID_PATTERN)})"

        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", segment, path) + "/?$")
        operation = Operation(
            summary=options["summary"],
            tag=options["tag"],
            answers=options["answers"],
            request=options.get("request"),
            request_required=options.get("request_required", True),
            query=options.get("query", ()),
            description=options.get("description", ""),
        )

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    path,
                    pattern,
                    handler,
                    operation,
                    public=options.get("public", False),
                    body_limit=options.get("body_limit", DEFAULT_MAX_BODY),
                    cors=options.get("cors", False),
                )
            )
            return handler

        return register

    def include(self, other: Router) -> None:
        self.routes.extend(other.routes)

    def body_limit(self, method: str, path: str) -> int:
        """The most the route takes; the default for a request no route answers."""
        route, _, _ = self.match(method, path)
        return route.body_limit if route else DEFAULT_MAX_BODY

    def template_for(self, method: str, path: str) -> str | None:
        """The route's path template (``/messages/{message_id}``), for span names."""
        route, _, _ = self.match(method, path)
        return route.template if route else None

    def cors_methods(self, path: str) -> list[str]:
        """The methods of ``path`` that browsers on any origin may call."""
        counted, cors = self._cors
        if counted != len(self.routes):  # routes are only ever added
            cors = [r for r in self.routes if r.cors]
            self._cors = (len(self.routes), cors)
        return [r.method for r in cors if r.pattern.match(path)]

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        path_exists = False
        for route in self.routes:
            if found := route.pattern.match(path):
                path_exists = True
                if route.method == method:
                    return route, found.groupdict(), True
        return None, {}, path_exists


# What a preflight allows: the headers Courier's browser client sends.
CORS_HEADERS = (
    "authorization, content-type, x-courier-user-id, x-courier-ua, x-courier-client-key, "
    "x-courier-client-source-id"
)
CORS_MAX_AGE_S = 600


def preflight(methods: list[str]) -> HttpResponse:
    return HttpResponse(
        204,
        None,
        {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": ", ".join(methods),
            "access-control-allow-headers": CORS_HEADERS,
            "access-control-max-age": str(CORS_MAX_AGE_S),
        },
    )


# A contended document is usually free again within a second.
CONTENDED_RETRY_AFTER_S = 1


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    # Courier's error shape: {"type": ..., "message": ...}
    return {"type": kind, "message": message, **extra}


def error_response(exc: Exception, request: HttpRequest) -> HttpResponse:
    """The status and Courier-shaped body of an error a handler raised."""
    if isinstance(exc, ValidationFailed):
        return HttpResponse(
            413 if isinstance(exc, PayloadTooLarge) else 400,
            error_body(
                "invalid_request_error",
                str(exc),
                errors=[{"field": e.field, "reason": e.reason} for e in exc.errors],
            ),
        )
    if isinstance(exc, Unauthenticated):
        return HttpResponse(
            401, error_body("authentication_error", str(exc)), {"www-authenticate": "Bearer"}
        )
    if isinstance(exc, NotFound):
        return HttpResponse(404, error_body("not_found", str(exc)))
    if isinstance(exc, InUse):
        return HttpResponse(409, error_body("conflict_error", str(exc)))
    if isinstance(exc, Contended):
        # Nothing was written: the same request, a moment later, is safe.
        return HttpResponse(
            409,
            error_body("conflict_error", "changed by other requests at the same time; retry"),
            {"Retry-After": str(CONTENDED_RETRY_AFTER_S)},
        )
        # The path may hold a token or an address: the request's span has its route.
    logs.error("unhandled API error", error=error_text(exc), method=request.method)
    return HttpResponse(500, error_body("api_error", "internal error; it was logged"))


class Api:
    def __init__(
        self,
        router: Router,
        keys: KeyRepository,
        services: ApiServices,
        idempotency: IdempotencyGuard | None = None,
        quotas: WorkspaceQuotas | None = None,
    ) -> None:
        self.router = router
        self.keys = keys
        self.services = services
        # None: the Idempotency-Key header is ignored (tests of other concerns).
        self.idempotency = idempotency
        # None: no quota (tests of other concerns).
        self.quotas = quotas

    def authenticate(self, request: HttpRequest) -> str:
        header = request.header("authorization") or ""
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
        workspace = self.keys.workspace_for(hash_api_key(key.strip()))
        if workspace is None:
            raise Unauthenticated("the API key is not valid")
        return workspace

    def admit(
        self, request: HttpRequest, declared_length: int | None = None
    ) -> HttpRequest | HttpResponse:
        """The request counted against its workspace's quota, or the ``429`` refusing it,
        before anything not needed to find its workspace: its body unread, no span, no
        parsing. A request the quota does not count, that no key opens, or whose body is
        declared too large is let through uncounted, to be answered as before."""
        if self.quotas is None or request.quota is not None:
            return request
        route, _, _ = self.router.match(request.method, request.path)
        if route is None or not counts_against_quota(route):
            return request
        if declared_length is not None and declared_length > route.body_limit:
            return request
        try:
            workspace = self.authenticate(request)
        except Unauthenticated:
            return request
        decision = self.quotas.take(workspace)
        if not decision.allowed:
            refused = over_quota(workspace, decision)
            if route.cors:
                refused.headers["access-control-allow-origin"] = "*"
            return refused
        return dataclasses.replace(request, quota=decision)

    def receive(
        self, request: HttpRequest, body: BodyStream, declared_length: int | None
    ) -> HttpResponse:
        """``request`` with its body still unread: read only if the route takes its size."""
        admitted = self.admit(request, declared_length)
        if isinstance(admitted, HttpResponse):
            return admitted
        request = admitted
        try:
            limit = self.router.body_limit(request.method, request.path)
            request = dataclasses.replace(request, body=read_body(body, declared_length, limit))
        except Exception as exc:
            refused = dataclasses.replace(error_response(exc, request), body_unread=True)
            return self._for_browsers(request, refused)
        return self.handle(request)

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS" and (methods := self.router.cors_methods(request.path)):
            return preflight(methods)
        return self._for_browsers(request, self._handle(request))

    def _for_browsers(self, request: HttpRequest, answer: HttpResponse) -> HttpResponse:
        """A cors route's answer, errors included, readable by a page on any origin."""
        if self.router.cors_methods(request.path):
            answer.headers["access-control-allow-origin"] = "*"
        return answer

    def _handle(self, request: HttpRequest) -> HttpResponse:
        try:
            route, params, path_exists = self.router.match(request.method, request.path)
            if route is None:
                if path_exists:
                    return HttpResponse(
                        405, error_body("invalid_request_error", "method not allowed")
                    )
                return HttpResponse(404, error_body("not_found", f"no route {request.path}"))
            # Before the key, the idempotency record and any parsing: a body too large
            # costs nothing more than its refusal.
            if len(request.body) > route.body_limit:
                raise too_large(route.body_limit)
            if route.public:
                return _answer(route, Context(request, "", params, self.services))
            workspace = self.authenticate(request)
            quota = request.quota
            if quota is None and self.quotas is not None and counts_against_quota(route):
                # Before the idempotency record: a refusal is never stored as the answer.
                quota = self.quotas.take(workspace)
                if not quota.allowed:
                    return over_quota(workspace, quota)
            context = Context(request, workspace, params, self.services)
            if self.idempotency is None:
                answer = route.handler(context)
            else:
                # The guard stores or replays the final answer, errors mapped to statuses.
                answer = self.idempotency.run(request, workspace, lambda: _answer(route, context))
            if quota is not None:
                answer.headers.update(quota.headers())
            return answer
        except Exception as exc:
            return error_response(exc, request)


def over_quota(workspace: str, decision: QuotaDecision) -> HttpResponse:
    metrics.record_quota_refused(workspace)
    return HttpResponse(
        429,
        error_body(
            "rate_limit_error", "over this workspace's quota; retry after `Retry-After` seconds"
        ),
        decision.headers(),
    )


def _answer(route: Route, context: Context) -> HttpResponse:
    try:
        return route.handler(context)
    except Exception as exc:
        return error_response(exc, context.request)
