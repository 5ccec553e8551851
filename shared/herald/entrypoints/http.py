"""The api function's request handling: one SERVER span per request.

The span records the route, never the path as sent: paths hold link tokens,
addresses (``/suppressions/{address}``) and users' ids. ``url.path`` is the route
template when a route matched, else the path with every segment that is not a
fixed segment of some route replaced by ``*``.
"""

from __future__ import annotations

from functools import cache

from opentelemetry import trace

from herald.api.bodies import BodyStream
from herald.api.http import Api, HttpRequest, HttpResponse, Router
from herald.api.idempotency import REPLAYED_HEADER
from herald.observability import metrics, tracing


def serve(
    api: Api, request: HttpRequest, body: BodyStream, declared_length: int | None
) -> HttpResponse:
    """``request`` arrives without its body: ``body`` is read only as far as the route allows."""
    tracing.configure("api")
    metrics.configure("api")
    # A request over its workspace's quota is refused before its span: a flood's refusals
    # cost the instance, which serves other workspaces too, as little as can be (counted
    # by the quota.refused metric instead).
    admitted = api.admit(request, declared_length)
    if isinstance(admitted, HttpResponse):
        return admitted
    request = admitted
    route = api.router.template_for(request.method, request.path)
    path = route or redacted_path(api.router, request.path)
    with (
        tracing.invocation(),
        tracing.tracer().start_as_current_span(
            f"{request.method} {path}",
            context=tracing.context_from_http(request.headers),
            kind=trace.SpanKind.SERVER,
            attributes={
                "http.request.method": request.method,
                "url.path": path,
                **({"http.route": route} if route else {}),
            },
        ) as span,
    ):
        response = api.receive(request, body, declared_length)
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(trace.StatusCode.ERROR)
        replayed = REPLAYED_HEADER in response.headers
        if replayed:
            span.set_attribute("herald.idempotent_replay", True)
        elif route == "/send" and response.status == 202:
            # What `herald trace <requestId>` finds the send's trace by (not its replays').
            span.set_attribute("herald.request_id", response.body["requestId"])
        return response


def redacted_path(router: Router, path: str) -> str:
    """``path`` with only the fixed segments of Herald's routes left as they are."""
    known = _fixed_segments(tuple(route.template for route in router.routes))
    return "/".join(part if part in known else "*" for part in path.split("/"))


@cache
def _fixed_segments(templates: tuple[str, ...]) -> frozenset[str]:
    return frozenset(
        {""} | {part for t in templates for part in t.split("/") if not part.startswith("{")}
    )
