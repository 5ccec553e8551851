"""sweep: called on a schedule; republishes dropped events and re-drives stuck messages."""

import dataclasses
import json

import flask
import functions_framework

from herald.bootstrap import FirestoreAdapters, build
from herald.entrypoints import serving
from herald.entrypoints.schedule import sweep

serving.stop_promptly()  # within seconds of SIGTERM, spans flushed
services = build(FirestoreAdapters())  # each client made on first use, once per instance


@functions_framework.http
def handle(request: flask.Request) -> flask.Response:
    report = sweep(services.sweep)
    return flask.Response(json.dumps(dataclasses.asdict(report)), mimetype="application/json")
