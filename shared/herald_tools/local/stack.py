"""The whole of Herald on this machine, wired as in the cloud.

client ─▶ api ─▶ Firestore emulator ─trigger─▶ router ─▶ relay ─▶ Pub/Sub emulator
                                                                 │ push
                                         render ◀──┬─────────────┤
                                         deliver ◀─┤ (SMTP, webhooks ─▶ local sinks)
                                         log ◀─────┘
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from herald.bootstrap import FirestoreAdapters
from herald.deployment import (
    LOCAL_LINK_SECRET,
    LOCAL_STACK_MARKER,
    LOCAL_TWILIO_AUTH_TOKEN,
    LOCAL_USER_TOKEN_SECRET,
    LOCAL_WEBHOOK_SECRET,
)
from herald.events.registry import subscription_filter
from herald.ids import hash_api_key
from herald.topology import (
    FUNCTIONS,
    OUTBOX_DOCUMENT_PATTERN,
    RELAY_EVENT_TYPE,
    RELAY_TRIGGER_ID,
    Trigger,
)
from herald_tools.local import stackfile
from herald_tools.local.emulators import Emulators
from herald_tools.local.processes import Child, free_port, port_free, port_open, wait_until
from herald_tools.local.pushfilter import PushFilter
from herald_tools.local.router import TriggerRouter
from herald_tools.local.sinks import CallbackTargets, LocalSinks
from herald_tools.local.wiring import RetrySettings, wire_pubsub

FUNCTION_START_TIMEOUT_S = 60.0


def repository_root() -> Path:
    if configured := os.environ.get("HERALD_ROOT"):
        return Path(configured)
    return Path(__file__).resolve().parents[3]


@dataclass
class Ports:
    api: int = 8080
    firestore: int = 8681
    pubsub: int = 8685
    push_filter: int = 8689
    router: int = 8690
    relay: int = 8691
    render: int = 8692
    deliver: int = 8693
    realtime: int = 8694  # the inbox's socket (a Cloud Run service, not a function)
    sweep: int = 8695
    smtp: int = 2525
    sinks: int = 8025
    # Functions added since those above: the ports after sweep's, in FUNCTIONS order,
    # so a new function needs no edit here.
    more_functions: dict[str, int] = field(
        default_factory=lambda: _unnamed_function_ports(lambda i: FIRST_UNNAMED_PORT + i)
    )

    @classmethod
    def random(cls) -> Ports:
        named = {name: free_port() for name in cls.__dataclass_fields__ if name != "more_functions"}
        return cls(**named, more_functions=_unnamed_function_ports(lambda _: free_port()))

    def by_name(self) -> dict[str, int]:
        named = {k: v for k, v in vars(self).items() if k != "more_functions"}
        return {**named, **self.more_functions}

    def function(self, name: str) -> int:
        if name in self.more_functions:
            return self.more_functions[name]
        port: int = getattr(self, name)
        return port


FIRST_UNNAMED_PORT = 8696


def _unnamed_function_ports(port_for: Callable[[int], int]) -> dict[str, int]:
    unnamed = [f.name for f in FUNCTIONS if f.name not in Ports.__dataclass_fields__]
    return {name: port_for(i) for i, name in enumerate(unnamed)}


@dataclass
class Stack:
    ports: Ports = field(default_factory=Ports)
    state_dir: Path = field(default_factory=lambda: repository_root() / ".herald")
    workspace: str = "local"
    api_key: str = field(default_factory=lambda: "hk_local_" + secrets.token_urlsafe(24))
    function_env: dict[str, dict[str, str]] = field(default_factory=dict)
    retry: RetrySettings = field(default_factory=RetrySettings)
    sweep_interval_s: float = 30.0  # Cloud Scheduler's job, locally

    def __post_init__(self) -> None:
        # Checked before anything binds: a foreign listener on a function's port would
        # otherwise pass its readiness check while our server fails to start.
        busy = [
            f"{name} {port}" for name, port in self.ports.by_name().items() if not port_free(port)
        ]
        if busy:
            raise RuntimeError(
                f"ports in use: {', '.join(busy)}; stop what uses them or pass --random-ports"
            )
        self.root = repository_root()
        self.log_dir = self.state_dir / "logs"
        self.trace_dir = self.state_dir / "traces"
        self.emulators = Emulators(
            self.log_dir,
            functions_port=self.ports.router,
            firestore_port=self.ports.firestore,
            pubsub_port=self.ports.pubsub,
        )
        self.router = TriggerRouter(self.ports.router, {RELAY_TRIGGER_ID: self.ports.relay})
        self.push_filter = PushFilter(
            self.ports.push_filter,
            {
                f.name: self.function_url(f.name)
                for f in FUNCTIONS
                if f.trigger == Trigger.PUBSUB and subscription_filter(f.name) is not None
            },
        )
        self.sinks = LocalSinks(
            self.ports.smtp,
            self.ports.sinks,
            self.state_dir / "mail",
            CallbackTargets(self.base_url, self.workspace, LOCAL_TWILIO_AUTH_TOKEN),
        )
        self.functions: dict[str, Child] = {}
        self.realtime = Child(
            "realtime",
            [
                sys.executable,
                str(self.root / "services" / "realtime" / "main.py"),
                "--host=127.0.0.1",
                f"--port={self.ports.realtime}",
            ],
            self.log_dir / "realtime.log",
            cwd=self.root,
        )
        self._stopping = threading.Event()
        self._scheduler = threading.Thread(target=self._schedule, daemon=True)
        self._schedule_runs = threading.Lock()
        self._schedule_paused = False

    def _schedule(self) -> None:
        """Calls each scheduled function every ``sweep_interval_s``, as Cloud Scheduler does."""
        scheduled = [f.name for f in FUNCTIONS if f.trigger == Trigger.SCHEDULE]
        while not self._stopping.wait(self.sweep_interval_s):
            with self._schedule_runs:
                if self._schedule_paused:
                    continue
                for name in scheduled:
                    # A missed run is caught up by the next one.
                    with contextlib.suppress(OSError, ValueError):
                        self.run_scheduled(name)

    def run_scheduled(self, name: str) -> Any:
        """One run of a scheduled function, as Cloud Scheduler calls it; its JSON answer."""
        request = urllib.request.Request(self.function_url(name), b"{}", method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    @contextlib.contextmanager
    def schedule_paused(self) -> Iterator[None]:
        """No scheduled run starts meanwhile (one under way is finished first): the caller
        drives the schedule with ``run_scheduled``."""
        with self._schedule_runs:
            self._schedule_paused = True
        try:
            yield
        finally:
            self._schedule_paused = False

    @classmethod
    def with_fast_clocks(cls, state_dir: Path) -> Stack:
        """Free ports, and every wait in seconds instead of minutes: for tests and benchmarks."""
        # A short lease, so a delivery that died is taken over within seconds; it must
        # outlast a provider call, hence the short timeouts too. The sweep's threshold for
        # stuck messages follows from it (and from the push retry settings).
        lease = {"HERALD_ATTEMPT_LEASE_S": "6"}
        # A webhook endpoint registered gets the very next event (each relay asks).
        endpoints = {"HERALD_WEBHOOK_ENDPOINTS_CACHE_S": "0"}
        return cls(
            ports=Ports.random(),
            state_dir=state_dir,
            function_env={
                "deliver": {
                    **lease,
                    "HERALD_SMTP_TIMEOUT_S": "2",
                    "HERALD_WEBHOOK_TIMEOUT_S": "2",
                    # Retries come back through the timer (the sweep) within seconds.
                    "HERALD_RETRY_BASE_S": "1",
                    "HERALD_RETRY_MAX_S": "2",
                },
                # Sweep soon after a trigger is lost.
                "sweep": {
                    **lease,
                    **endpoints,
                    "HERALD_SWEEP_UNPUBLISHED_AFTER_S": "2",
                },
                "relay": endpoints,
            },
            sweep_interval_s=1.0,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def realtime_url(self) -> str:
        """Courier's ``apiUrls.inbox.webSocket`` for this stack."""
        return f"ws://127.0.0.1:{self.ports.realtime}/"

    def function_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.function(name)}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.emulators.env(),
            # What lets the settings below through (herald.deployment); and not Cloud Run,
            # whatever the environment says: no metadata server to ask, and the telemetry
            # stand-ins' endpoints are allowed (herald.observability.google_cloud).
            LOCAL_STACK_MARKER: "1",
            "HERALD_SMTP_HOST": "127.0.0.1",
            "HERALD_SMTP_PORT": str(self.ports.smtp),
            # Local webhook destinations (the sinks) live on loopback.
            "HERALD_WEBHOOK_ALLOW_PRIVATE": "true",
            # The push subscriptions' timings, which the sweep's threshold follows.
            "HERALD_PUSH_ACK_DEADLINE_S": str(self.retry.ack_deadline_s),
            "HERALD_PUSH_MAX_BACKOFF_S": str(self.retry.maximum_backoff_s),
            # Every channel, its provider pointed at the local sinks, with local credentials.
            # SendGrid comes last: email goes by SMTP unless a workspace chooses SendGrid.
            "HERALD_PROVIDERS": "smtp,twilio,fcm,slack,msteams,webhook,sendgrid",
            "SENDGRID_API_KEY": "SG.local",
            "HERALD_SENDGRID_BASE_URL": f"{self.sinks.base_url}/sendgrid",
            "TWILIO_ACCOUNT_SID": "AClocal",
            "TWILIO_AUTH_TOKEN": LOCAL_TWILIO_AUTH_TOKEN,
            "HERALD_TWILIO_FROM": "+15005550006",
            "HERALD_TWILIO_BASE_URL": f"{self.sinks.base_url}/twilio",
            "HERALD_FCM_ACCESS_TOKEN": "local-token",
            "HERALD_FCM_BASE_URL": f"{self.sinks.base_url}/fcm",
            "HERALD_SLACK_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HERALD_SLACK_API_BASE_URL": f"{self.sinks.base_url}/slack-api",
            "MSTEAMS_APP_ID": "local-teams-bot",
            "MSTEAMS_APP_PASSWORD": "local-teams-secret",
            "HERALD_MSTEAMS_TOKEN_URL": f"{self.sinks.base_url}/msteams/botframework.com/oauth2/v2.0/token",
            "HERALD_MSTEAMS_SERVICE_URL": f"{self.sinks.base_url}/msteams/teams/",
            "HERALD_MSTEAMS_SERVICE_HOSTS": "127.0.0.1,localhost",
            "HERALD_WEBHOOK_SIGNING_SECRET": LOCAL_WEBHOOK_SECRET,
            # Email links lead to the local api.
            "HERALD_PUBLIC_URL": self.base_url,
            "HERALD_LINK_SECRET": LOCAL_LINK_SECRET,
            # Signs the inbox's user tokens.
            "HERALD_USER_TOKEN_SECRET": LOCAL_USER_TOKEN_SECRET,
            # Provider callbacks: the stand-ins post to the api, signed as the providers do.
            "HERALD_SENDGRID_WEBHOOK_PUBLIC_KEY": self.sinks.callbacks.sendgrid.public_key
            if self.sinks.callbacks
            else "",
            # Spans as JSON lines, for `herald trace` and the tests.
            "HERALD_TRACE_EXPORTER": "file",
            "HERALD_TRACE_DIR": str(self.trace_dir),
            "PYTHONUNBUFFERED": "1",
            "WORKERS": "1",
            "THREADS": "8",
        }

    def start(self, progress: bool = False) -> None:
        def step(text: str) -> None:
            if progress:
                print(f"  {text}", file=sys.stderr, flush=True)

        try:
            step("starting the Firestore and Pub/Sub emulators")
            self.router.start()
            self.push_filter.start()
            self.sinks.start()
            self.emulators.start()
            os.environ.update(self.emulators.env())
            step("wiring topics, push subscriptions and the outbox trigger")
            wire_pubsub(
                self.emulators.project,
                {
                    f.name: (
                        self.push_filter.url(f.name)
                        if f.name in self.push_filter.targets
                        else self.function_url(f.name)
                    )
                    for f in FUNCTIONS
                    if f.trigger == Trigger.PUBSUB
                },
                self.retry,
            )
            self.emulators.register_firestore_trigger(
                RELAY_TRIGGER_ID, OUTBOX_DOCUMENT_PATTERN, RELAY_EVENT_TYPE
            )
            self.seed_api_key()
            stackfile.write(
                self.state_dir,
                stackfile.RunningStack(
                    pid=os.getpid(),
                    project=self.emulators.project,
                    firestore_host=self.emulators.firestore_host,
                    pubsub_host=self.emulators.pubsub_host,
                    api_url=self.base_url,
                ),
            )
            step("starting the functions")
            for spec in FUNCTIONS:
                self.start_function(spec.name, wait=False)
            step("starting the inbox's real-time service")
            self.realtime.env = self.env()
            self.realtime.start()
            for name in self.functions:
                self._wait_for_function(name)
            self._wait_for_realtime()
            self._scheduler.start()
        except BaseException:
            self.stop()
            raise

    def seed_api_key(self) -> None:
        self.adapters().keys.put(hash_api_key(self.api_key), self.workspace)

    def adapters(self) -> FirestoreAdapters:
        """The adapters the stack's functions run on, over its emulators."""
        from google.cloud import firestore

        return FirestoreAdapters(client=firestore.Client(project=self.emulators.project))

    def function_command(self, name: str, port: int) -> list[str]:
        """The functions-framework server of one function, as Cloud Run starts it."""
        spec = next(f for f in FUNCTIONS if f.name == name)
        return [
            sys.executable,
            "-m",
            "functions_framework",
            "--target=handle",
            f"--source={self.root / spec.source}",
            f"--signature-type={spec.signature_type}",
            "--host=127.0.0.1",
            f"--port={port}",
        ]

    def function_environment(self, name: str, env: dict[str, str] | None = None) -> dict[str, str]:
        return {**self.env(), **self.function_env.get(name, {}), **(env or {})}

    def start_function(
        self, name: str, wait: bool = True, env: dict[str, str] | None = None
    ) -> None:
        child = Child(
            name,
            self.function_command(name, self.ports.function(name)),
            self.log_dir / f"{name}.log",
            env=self.function_environment(name, env),
            cwd=self.root,
        )
        child.start()
        self.functions[name] = child
        if wait:
            self._wait_for_function(name)

    def _wait_for_function(self, name: str) -> None:
        child = self.functions[name]
        port = self.ports.function(name)
        wait_until(
            lambda: port_open(port) or not child.alive(),
            FUNCTION_START_TIMEOUT_S,
            f"function {name}",
        )
        if not child.alive():
            raise RuntimeError(f"function {name} exited:\n{child.tail()}")

    def _wait_for_realtime(self) -> None:
        wait_until(
            lambda: port_open(self.ports.realtime) or not self.realtime.alive(),
            FUNCTION_START_TIMEOUT_S,
            "the real-time service",
        )
        if not self.realtime.alive():
            raise RuntimeError(f"the real-time service exited:\n{self.realtime.tail()}")

    def restart_function(self, name: str, env: dict[str, str] | None = None) -> None:
        self.functions[name].stop()
        wait_until(lambda: not port_open(self.ports.function(name)), 10, f"{name} to stop")
        self.start_function(name, env=env)

    def stop(self) -> None:
        """Stops every part, each on its own: one that fails does not keep the rest running."""
        self._stopping.set()
        stackfile.remove(self.state_dir, os.getpid())
        parts: list[Callable[[], None]] = [child.stop for child in self.functions.values()]
        parts.append(self.realtime.stop)
        parts += [self.router.stop, self.push_filter.stop, self.sinks.stop, self.emulators.stop]
        for stop in parts:
            try:
                stop()
            except Exception as exc:
                print(f"while stopping: {exc!r}", file=sys.stderr)
        self.functions.clear()
