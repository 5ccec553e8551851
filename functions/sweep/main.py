"""sweep: called on a schedule; republishes dropped events and re-drives stuck messages."""

import dataclasses
import json

import flask
import functions_framework

from herald.entrypoints import serving
from herald.entrypoints.schedule import sweep

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed


@functions_framework.http
def handle(request: flask.Request) -> flask.Response:
    report = sweep()
    return flask.Response(json.dumps(dataclasses.asdict(report)), mimetype="application/json")
