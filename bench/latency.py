"""Send -> end-state latency on the local emulator stack, beside the floor.

    .venv/bin/python bench/latency.py [--sends 100]

Starts its own stack on free ports, then measures:

- sequential: one send at a time, each waited for until its end state;
- concurrent: all sends at once;
- floor: one Firestore write -> trigger delivery (through the same router) ->
  Pub/Sub publish -> push to an HTTP server: the cost of one pipeline hop with
  no Herald code in it. A send to one email crosses two such hops (api -> render,
  render -> deliver) plus deliver's SMTP call and final write.

Latency is from just before ``POST /send`` to the commit of the message's end
state (the timestamp of its last history event), both on this machine's clock.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

from google.cloud import firestore, pubsub_v1  # type: ignore[attr-defined]
from werkzeug.wrappers import Request, Response

from herald_tools.local.client import ApiClient
from herald_tools.local.serving import Served
from herald_tools.local.stack import Ports, Stack
from herald_tools.local.wiring import push_endpoint

END_STATES = {"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE"}


def now_ms() -> float:
    return time.time_ns() / 1e6


def one_send(stack: Stack, index: int, poll_s: float = 0.02) -> float:
    """The latency comes from server timestamps; polling only finds out when it is done."""
    api = ApiClient(stack.base_url, stack.api_key)
    started = now_ms()
    message = {"to": {"email": f"bench{index}@example.com"}, "content": {"body": "x"}}
    request_id = api.call("POST", "/send", {"message": message})["requestId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if api.call("GET", f"/messages/{request_id}")["status"] in END_STATES:
            history = api.call("GET", f"/messages/{request_id}/history")["results"]
            return float(history[-1]["ts"]) - started
        time.sleep(poll_s)
    raise TimeoutError(f"send {request_id} did not end within 120 s")


class FloorProbe:
    """Firestore write -> trigger -> publish -> push, with no Herald code on the path."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.project = stack.emulators.project
        self.arrived: dict[str, threading.Event] = {}
        self.publisher = pubsub_v1.PublisherClient()
        self.topic = self.publisher.topic_path(self.project, "bench-floor")
        self.server = Served(self._take)
        self.port = self.server.port
        self.server.start()
        self.publisher.create_topic(name=self.topic)
        subscriber = pubsub_v1.SubscriberClient()
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(self.project, "bench-floor-push"),
                "topic": self.topic,
                "push_config": {
                    "push_endpoint": push_endpoint(
                        f"http://127.0.0.1:{self.port}", self.project, "bench-floor"
                    )
                },
            }
        )
        stack.router.targets["bench-floor"] = self.port
        stack.emulators.register_firestore_trigger("bench-floor", "bench_floor/{doc}")
        self.db = firestore.Client(project=self.project)

    def _take(self, environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        if request.path == "/":  # the trigger, forwarded by the router
            doc_id = request.headers["ce-subject"].rsplit("/", 1)[1]
            # One Publish call, as the relay makes (no batching delay).
            message = pubsub_v1.types.PubsubMessage(data=b"{}", attributes={"doc_id": doc_id})
            self.publisher.api.publish(topic=self.topic, messages=[message])
        else:  # the push
            doc_id = json.loads(body)["message"]["attributes"]["doc_id"]
            self.arrived[doc_id].set()
        return Response(status=204)(environ, start)

    def hop(self) -> float:
        doc_id = uuid.uuid4().hex
        self.arrived[doc_id] = threading.Event()
        started = now_ms()
        self.db.collection("bench_floor").document(doc_id).set({"n": 1})
        if not self.arrived[doc_id].wait(60):
            raise TimeoutError("the floor probe's push never arrived")
        return now_ms() - started

    def close(self) -> None:
        self.server.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return ticks / os.sysconf("SC_CLK_TCK") + sum(cpu_seconds(int(c)) for c in children)


def process_cpu(stack: Stack) -> dict[str, float]:
    children = {
        "firestore emulator": stack.emulators.firestore_pid,
        "pubsub emulator": stack.emulators.pubsub_pid,
        **{f"function {n}": c.pid for n, c in stack.functions.items()},
    }
    return {name: cpu_seconds(pid) for name, pid in children.items() if pid}


def paced(sample: Callable[[], float]) -> float:
    """Waits a random 0-200 ms first: the Pub/Sub emulator pushes from a polling loop,
    and back-to-back samples would lock to its phase instead of sampling it."""
    time.sleep(random.uniform(0, 0.2))
    return sample()


def describe(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name:<34} n={len(samples):<4} p50={statistics.median(samples):7.1f} ms"
        f"  p99={p99:7.1f} ms  max={ordered[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=100)
    args = parser.parse_args()

    stack = Stack(ports=Ports.random(), state_dir=Path(tempfile.mkdtemp(prefix="herald-bench-")))
    print("starting the local stack...", flush=True)
    stack.start()
    try:
        for index in range(5):  # warm every function's clients
            one_send(stack, index)
        probe = FloorProbe(stack)
        for _ in range(5):
            probe.hop()
        floor = [paced(probe.hop) for _ in range(args.sends)]
        sequential = [paced(functools.partial(one_send, stack, i)) for i in range(args.sends)]
        cpu_before = process_cpu(stack)
        wall_before = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.sends) as pool:
            # Poll gently: a hundred tight polling loops would measure the API, not the pipeline.
            concurrent = list(pool.map(lambda i: one_send(stack, i, 0.5), range(args.sends)))
        wall = time.monotonic() - wall_before
        cpu_after = process_cpu(stack)
        probe.close()
    finally:
        stack.stop()

    print()
    print(describe("floor: write+trigger+publish+push", floor))
    print(describe("send -> end state, sequential", sequential))
    print(describe(f"send -> end state, {args.sends} concurrent", concurrent))
    floor_p50 = statistics.median(floor)
    print(f"\none send to an email crosses 2 hops: floor about {2 * floor_p50:.0f} ms at p50")
    print(f"\nCPU seconds used during the concurrent phase ({wall:.1f} s of wall time, 2 cores):")
    for name, after in sorted(cpu_after.items(), key=lambda item: -item[1]):
        print(f"  {name:<22}{after - cpu_before[name]:6.1f}")


if __name__ == "__main__":
    main()
