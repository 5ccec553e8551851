"""The send path's floor: a bare functions-framework handler that does what a send must.

It parses the JSON body and commits, in one batch, the two documents the design
needs for an accepted message (its state and its first outbox record), then
answers 202 with an id. No authentication, validation, tracing or logging: what
Herald's ``POST /send`` adds to this is what the benchmark measures.
"""

import json
import os
import uuid

import flask
import functions_framework
from google.cloud import firestore

_client = firestore.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT", "herald-bench"))


@functions_framework.http
def handle(request: flask.Request) -> flask.Response:
    body = json.loads(request.get_data())
    message_id = uuid.uuid4().hex
    message = _client.collection("floor").document(message_id)
    batch = _client.batch()
    batch.create(message, {"id": message_id, "status": "ENQUEUED", "message": body["message"]})
    batch.create(
        message.collection("events").document("00000001"), {"seq": 1, "published_ms": None}
    )
    batch.commit()
    return flask.Response(
        json.dumps({"requestId": message_id}), status=202, mimetype="application/json"
    )
