"""``herald``: every operator task is a subcommand here (``herald --help``)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def _up(args: argparse.Namespace) -> int:
    from herald_tools.local.stack import Ports, Stack

    ports = Ports.random() if args.random_ports else Ports()
    print("Starting Herald locally...", file=sys.stderr, flush=True)
    try:
        stack = Stack(ports=ports, **({"state_dir": args.state_dir} if args.state_dir else {}))
        stack.start(progress=True)
    except (RuntimeError, TimeoutError) as exc:
        print(f"herald up: {exc}", file=sys.stderr)
        return 1
    # A plain flag: a signal handler that takes a lock (Event.set) can deadlock
    # against the main thread holding it.
    stop_requested: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stop_requested.append(signum))
    base, key = stack.base_url, stack.api_key
    functions = "  ".join(f"{name} {stack.function_url(name)}" for name in stack.functions)
    print(
        f"""
Herald is running.

  API base URL   {base}
  API key        {key}   (workspace "{stack.workspace}")
  Console        {base}/console   (sign in with the API key; docs/operations/console.md)
  Caught mail    {stack.sinks.base_url}/mail   (and .eml files in {stack.state_dir / "mail"})
  Webhook sink   POST {stack.sinks.base_url}/webhooks/<name>, read at {stack.sinks.base_url}/webhooks
  SMS, push      Twilio and FCM are faked by the sinks: read at {stack.sinks.base_url}/sms and /push
  Slack          "slack": {{"incoming_webhook": {{"url": "{stack.sinks.base_url}/slack/<name>"}}}}, read at /chat
  Callbacks      the stand-ins call back signed: POST {stack.sinks.base_url}/callbacks/twilio {{"id": <sms>, "status": "delivered"}}
                 (and /callbacks/sendgrid, /callbacks/twilio/inbound; see docs/api/receipts.md)
  Functions      {functions}
  Inbox socket   {stack.realtime_url}   (courier-js's apiUrls.inbox.webSocket; docs/api/inbox.md)
  Logs           {stack.log_dir}
  Emulators      FIRESTORE_EMULATOR_HOST={stack.emulators.firestore_host} PUBSUB_EMULATOR_HOST={stack.emulators.pubsub_host}
  Operators      ./herald keys, providers, tracking, quota, replay and tokens in another terminal act on this stack

Try it:

  curl -s -X POST {base}/send -H "Authorization: Bearer {key}" \\
    -H 'content-type: application/json' -d '{{
      "message": {{
        "to": {{"email": "ada@example.com"}},
        "content": {{"title": "Hi {{{{name}}}}", "body": "Your code is {{{{code}}}}"}},
        "data": {{"name": "Ada", "code": "123456"}}
      }}}}'
  curl -s {base}/messages/<requestId> -H "Authorization: Bearer {key}"
  curl -s {base}/messages/<requestId>/history -H "Authorization: Bearer {key}"
  curl -s {stack.sinks.base_url}/mail
  ./herald trace <requestId> --trace-dir {stack.trace_dir}

Press Ctrl-C to stop everything.""",
        flush=True,
    )
    restarts: dict[str, int] = {}
    try:
        while not stop_requested:
            time.sleep(0.2)
            for name, child in list(stack.functions.items()):
                if child.alive():
                    continue
                restarts[name] = restarts.get(name, 0) + 1
                if restarts[name] > 3:
                    print(f"function {name} keeps exiting; see {child.log_path}", file=sys.stderr)
                    return 1
                print(f"function {name} exited; restarting it", file=sys.stderr, flush=True)
                stack.start_function(name)
    finally:
        print("\nStopping Herald...", file=sys.stderr, flush=True)
        stack.stop()
    return 0


def _trace(args: argparse.Namespace) -> int:
    from herald.observability.spanfile import read_spans
    from herald_tools.waterfall import render_html, render_text

    spans = read_spans(args.trace_dir)
    trace_ids = {
        s.trace_id
        for s in spans
        if args.id in (s.attributes.get("herald.message_id"), s.attributes.get("herald.request_id"))
    }
    if not trace_ids:
        print(f"no spans of message or request {args.id} in {args.trace_dir}", file=sys.stderr)
        return 1
    html_pages = []
    for trace_id in sorted(trace_ids):
        trace_spans = sorted((s for s in spans if s.trace_id == trace_id), key=lambda s: s.start_ns)
        print(render_text(trace_spans, width=shutil.get_terminal_size((120, 20)).columns))
        page = args.trace_dir / f"trace-{trace_id}.html"
        page.write_text(render_html(trace_spans))
        html_pages.append(page)
    for page in html_pages:
        print(f"written: {page}")
    return 0


def _cost(args: argparse.Namespace) -> int:
    from herald_tools.cost import (
        HANDLERS,
        default_profiles,
        estimate,
        render_comparison,
        render_table,
    )

    durations: dict[str, float] = {}
    if args.trace_dir is not None:
        from herald.observability.spanfile import read_spans
        from herald_tools.local.invocations import INVOCATION_KINDS, function_of

        # Measured: the mean of each function's invocation spans (SERVER or CONSUMER).
        samples: dict[str, list[float]] = {}
        for span in read_spans(args.trace_dir):
            name = function_of(span)
            if name in HANDLERS and span.kind in INVOCATION_KINDS:
                samples.setdefault(name, []).append(span.duration_ms)
        durations = {name: sum(v) / len(v) for name, v in samples.items()}
        if durations:
            measured = ", ".join(f"{n} {d:.0f} ms" for n, d in sorted(durations.items()))
            print(f"measured mean durations from {args.trace_dir}: {measured}\n")
    profiles = default_profiles(
        args.sends_per_month,
        durations_ms=durations,
        endpoint_share=args.endpoint_share,
        templated_share=args.templated_share,
    )
    report = estimate(profiles)
    print(render_table(report))
    print(render_comparison(report, args.sends_per_month))
    return 0


def _providers(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters
    from herald.domain.catalog import PROVIDER_CHANNELS
    from herald.resources.audit_events import AuditLog
    from herald.resources.provider_settings import save_provider_settings

    adapters = FirestoreAdapters()
    workspaces = adapters.workspaces
    settings = workspaces.settings(args.workspace)
    if args.channel is not None:
        wrong = [p for p in args.providers if PROVIDER_CHANNELS.get(p) != args.channel]
        if wrong:
            print(f"not {args.channel} providers: {', '.join(wrong)}", file=sys.stderr)
            return 2
        if args.providers:
            settings.providers[args.channel] = list(args.providers)
        else:
            settings.providers.pop(args.channel, None)
    if args.allow_private_destinations is not None:
        settings.allow_private_destinations = args.allow_private_destinations == "yes"
    if args.channel is not None or args.allow_private_destinations is not None:
        save_provider_settings(workspaces, AuditLog(adapters.documents), args.workspace, settings)
    for channel in sorted(set(PROVIDER_CHANNELS.values())):
        chosen = settings.providers.get(channel)
        shown = " -> ".join(chosen) if chosen else "(every enabled provider)"
        print(f"{channel:<8}{shown}")
    allowed = "yes" if settings.allow_private_destinations else "no"
    print(f"webhook destinations on private addresses allowed: {allowed}")
    return 0


def _tracking(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters

    workspaces = FirestoreAdapters().workspaces
    settings = workspaces.settings(args.workspace)
    if args.state is not None:
        settings.tracking = args.state == "on"
        workspaces.save_settings(args.workspace, settings)
    state = "on" if settings.tracking else "off"
    print(f"open and click tracking in {args.workspace}'s email: {state}")
    return 0


def _phone_region(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters
    from herald.domain.send import phone_region_problem

    workspaces = FirestoreAdapters().workspaces
    settings = workspaces.settings(args.workspace)
    if args.region is not None:
        if problem := phone_region_problem(args.region.upper()):
            print(problem, file=sys.stderr)
            return 2
        settings.phone_region = args.region.upper()
        workspaces.save_settings(args.workspace, settings)
    print(f"national phone numbers in {args.workspace}'s sends: read as in {settings.phone_region}")
    return 0


def _timezone(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters
    from herald.domain.digest import zone

    workspaces = FirestoreAdapters().workspaces
    settings = workspaces.settings(args.workspace)
    if args.clear or args.zone is not None:
        if args.zone is not None:
            try:
                zone(args.zone)
            except ValueError as problem:
                print(f"zone {problem}", file=sys.stderr)
                return 2
        settings.timezone = args.zone
        workspaces.save_settings(args.workspace, settings)
    print(f"{args.workspace}'s time zone, for digests naming none: {settings.timezone or 'UTC'}")
    return 0


def _quota(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters, quota_settings
    from herald.errors import ValidationFailed

    quotas = quota_settings(FirestoreAdapters())
    try:
        if args.default:
            view = quotas.grant_default(args.workspace)
        elif args.rate is not None or args.burst is not None:
            view = quotas.grant(args.workspace, args.rate, args.burst)
        else:
            view = quotas.view(args.workspace)
    except ValidationFailed as exc:
        for error in exc.errors:
            print(f"--{error.field}: {error.reason}", file=sys.stderr)
        return 2
    whose = "granted" if view.granted else "default"
    own = (
        ""
        if view.own is None
        else f"; the workspace's own, under a ceiling of {view.ceiling.rate:g}/s and"
        f" bursts of {view.ceiling.burst}"
    )
    print(
        f"{args.workspace}'s quota on POSTs ({whose}): {view.rate:g}/s sustained,"
        f" bursts of {view.burst}{own}"
    )
    return 0


def _keys(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters
    from herald.domain.testmode import namespace_for_test
    from herald.resources.audit_events import AuditLog
    from herald.resources.keys import create_key, revoke_key
    from herald_tools.ops.keys import key_table

    adapters = FirestoreAdapters()
    keys, audit = adapters.keys, AuditLog(adapters.documents)
    if args.action == "create":
        try:
            key, record = create_key(keys, audit, args.workspace, test=args.test)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(key)
        kind = "a test key" if args.test else "an API key"
        print(
            f"{kind} for workspace {args.workspace!r} (key id {record.key_id}); "
            "only its hash is stored",
            file=sys.stderr,
        )
    elif args.action == "list":
        found = keys.list(args.workspace)
        if args.workspace is not None:  # its test keys too
            found += keys.list(namespace_for_test(args.workspace))
        print(key_table(sorted(found, key=lambda r: (r.created_ms, r.key_hash))))
    else:
        revoked = revoke_key(keys, audit, args.key_id)
        if revoked is None:
            print(f"no key with id {args.key_id!r}", file=sys.stderr)
            return 1
        print(f"key {revoked.key_id} of workspace {revoked.workspace!r} is revoked")
    return 0


def _tokens(args: argparse.Namespace) -> int:
    from google.cloud import firestore

    from herald_tools.ops.token_index import reindex

    users = held = 0
    for workspace, user_id, count in reindex(firestore.Client(), args.workspace):
        users, held = users + 1, held + count
        print(f"{workspace}  {user_id}  {count} token{'s' if count != 1 else ''}")
    print(f"indexed {held} tokens of {users} users", file=sys.stderr)
    return 0


def _replay(args: argparse.Namespace) -> int:
    from herald.bootstrap import FirestoreAdapters, build
    from herald.publish.dead_letters import queues
    from herald_tools.ops.deadletters import counts, describe

    dead_letters = build(FirestoreAdapters()).dead_letters
    consumers = [name for _, name in queues(args.consumer)]
    if args.action == "list":
        letters = dead_letters.peek(args.consumer, args.limit)
        per_consumer = counts(letters, consumers)
        print("  ".join(f"{name} {count}" for name, count in per_consumer.items()))
        for letter in letters:
            print(describe(letter))
        print(f"{len(letters)} dead letter(s)")
    else:
        letters = dead_letters.redrive(args.consumer, args.limit)
        for letter in letters:
            print(f"redriven: {describe(letter)}")
        print(f"{len(letters)} redriven")
    return 0


def _acting(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Runs an operator command on the target ``herald_tools.ops.target`` resolves, named in one
    line; a missing target or credentials, or a refusal, is one line too, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        from google.api_core import exceptions as api_exceptions
        from google.auth import exceptions as auth_exceptions

        from herald_tools.local.stack import repository_root
        from herald_tools.ops.target import NoTarget, resolve

        name = f"herald {args.command}"
        try:
            target = resolve(args.project, args.state_dir or repository_root() / ".herald")
        except NoTarget as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        os.environ.update(target.env)
        print(f"{name}: acting on {target.described}", file=sys.stderr)
        try:
            return command(args)
        except auth_exceptions.GoogleAuthError as exc:
            print(
                f"{name}: no Google credentials for project {target.project} "
                f"({str(exc).splitlines()[0]}): run `gcloud auth application-default login`, "
                "or leave the project out to act on the local stack",
                file=sys.stderr,
            )
            return 1
        except (api_exceptions.GoogleAPIError, TimeoutError) as exc:
            first_line = (str(exc).splitlines() or [""])[0]
            print(
                f"{name}: {type(exc).__name__} from {target.described}: {first_line}",
                file=sys.stderr,
            )
            return 1

    return run


def _package(args: argparse.Namespace) -> int:
    from herald_tools.packaging import build_all

    root = Path(__file__).resolve().parents[2]
    for archive in build_all(root, args.out):
        print(f"{archive.function:<8}{archive.path}")
    return 0


def _events(args: argparse.Namespace) -> int:
    import json

    from herald_tools.eventmap.listing import rows, table
    from herald_tools.schemagate.released import released

    found = rows(released=set(released(Path(__file__).resolve().parents[2])))
    print(json.dumps(found, indent=2) if args.json else table(found))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from herald_tools import generate
    from herald_tools.eventmap.image import RendererMissing

    root = Path(__file__).resolve().parents[2]
    if args.check:
        stale = generate.stale(root)
        for relative in stale:
            print(f"stale: {relative} (run: ./herald generate)")
        return 1 if stale else 0
    for written in generate.write(root):
        print(f"wrote {written.relative_to(root)}")
    try:
        drawn = generate.write_image(root)
    except RendererMissing as exc:
        print(f"herald generate: {exc}", file=sys.stderr)
        return 1
    if drawn is not None:
        print(f"drew {drawn.relative_to(root)}")
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from herald_tools import generate
    from herald_tools.schemagate import released

    root = Path(__file__).resolve().parents[2]
    if args.action == "release":
        try:
            written = released.release(root)
        except released.ReleaseRefused as exc:
            print(f"herald schemas release: {exc}", file=sys.stderr)
            return 1
        for path in written:
            print(f"released {path.relative_to(root)}")
        return 0
    if args.action == "retire":
        if args.event is None or args.version is None:
            print("herald schemas retire: give the event and the version", file=sys.stderr)
            return 2
        try:
            path = released.retire(root, args.event, args.version)
        except released.ReleaseRefused as exc:
            print(f"herald schemas retire: {exc}", file=sys.stderr)
            return 1
        print(f"retired {path.relative_to(root)}")
        return 0
    baseline = released.released(root)
    for name, version in sorted(set(generate.event_schemas()) - set(baseline)):
        print(
            f"{name} v{version}: not released yet (free to change until `herald schemas release`)"
        )
    problems = released.problems(root)
    for problem in problems:
        print(f"{problem.kind}: {problem}")
    print(f"{len(problems)} problem(s) in {len(generate.event_schemas())} event version(s)")
    return 1 if problems else 0


def _docs(args: argparse.Namespace) -> int:
    """The documentation site (mkdocs.yml): served with live reload, or built strictly."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "mkdocs", args.action, "--strict"]
    if args.action == "serve":
        command += ["--dev-addr", args.address]
    return subprocess.run(command, cwd=root, env=os.environ.copy()).returncode


def _test(args: argparse.Namespace) -> int:
    root = Path(__file__).resolve().parents[2]
    python = sys.executable
    steps = [
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [python, "-m", "mypy"],
        [python, "-m", "pytest", *args.pytest_args],
    ]
    for command in steps:
        print(f"$ {' '.join(command[2:])}", flush=True)
        result = subprocess.run(command, cwd=root, env=os.environ.copy())
        if result.returncode != 0:
            return result.returncode
    return 0


def _bench(args: argparse.Namespace) -> int:
    """The benchmark suite (bench/suite.py), from the repository's root."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "bench", *args.bench_args]
    return subprocess.run(command, cwd=root, env=os.environ.copy()).returncode


def main(argv: list[str] | None = None) -> int:
    from herald.domain.send import CHANNELS

    parser = argparse.ArgumentParser(prog="herald", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run Herald locally: emulators, functions, wiring, sinks")
    up.add_argument("--random-ports", action="store_true", help="use free ports, not the defaults")
    up.add_argument(
        "--state-dir", type=Path, help="where logs and caught mail go (default: .herald/)"
    )
    up.set_defaults(run=_up)

    trace = commands.add_parser(
        "trace", help="draw the span waterfall of a message (or request) from local traces"
    )
    trace.add_argument("id", help="a message id or request id")
    trace.add_argument(
        "--trace-dir", type=Path, default=Path(".herald/traces"), help="where the spans are"
    )
    trace.set_defaults(run=_trace)

    cost = commands.add_parser("cost", help="estimate each handler's monthly cost at list prices")
    cost.add_argument("--sends-per-month", type=int, required=True)
    cost.add_argument(
        "--trace-dir", type=Path, help="take each handler's duration from these local spans"
    )
    cost.add_argument(
        "--endpoint-share",
        type=float,
        default=0.0,
        help="share of sends whose workspace has webhook endpoints (0 to 1; default 0)",
    )
    cost.add_argument(
        "--templated-share",
        type=float,
        default=1.0,
        help="share of sends naming a stored template, counted in its metrics (0 to 1; default 1)",
    )
    cost.set_defaults(run=_cost)

    # What operator commands act on: the local stack, or a project named on purpose.
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument(
        "--project",
        help="the Google Cloud project to act on (or GOOGLE_CLOUD_PROJECT); "
        "without it, the local stack that ./herald up runs",
    )
    target.add_argument(
        "--state-dir", type=Path, help="where ./herald up keeps its state (default: .herald/)"
    )

    providers = commands.add_parser(
        "providers",
        parents=[target],
        help="show or set which providers serve a workspace, per channel, in failover order",
    )
    providers.add_argument("workspace")
    providers.add_argument("channel", nargs="?", choices=CHANNELS)
    providers.add_argument("providers", nargs="*", help="in failover order; none to reset")
    providers.add_argument(
        "--allow-private-destinations",
        choices=("yes", "no"),
        help="let this workspace's webhooks reach private addresses (its own network)",
    )
    providers.set_defaults(run=_acting(_providers))

    tracking = commands.add_parser(
        "tracking",
        parents=[target],
        help="show or turn on/off a workspace's open and click tracking in email",
    )
    tracking.add_argument("workspace")
    tracking.add_argument("state", nargs="?", choices=("on", "off"))
    tracking.set_defaults(run=_acting(_tracking))

    phone_region = commands.add_parser(
        "phone-region",
        parents=[target],
        help="show or set the region a workspace's national phone numbers are read as in",
    )
    phone_region.add_argument("workspace")
    phone_region.add_argument("region", nargs="?", help="an ISO 3166 code: US (default), GB, ...")
    phone_region.set_defaults(run=_acting(_phone_region))

    timezone = commands.add_parser(
        "timezone",
        parents=[target],
        help="show or set a workspace's time zone, for digest schedules and profiles naming none",
    )
    timezone.add_argument("workspace")
    timezone.add_argument("zone", nargs="?", help="an IANA zone: Europe/Paris, America/New_York")
    timezone.add_argument("--clear", action="store_true", help="back to UTC")
    timezone.set_defaults(run=_acting(_timezone))

    quota = commands.add_parser(
        "quota",
        parents=[target],
        help="show or set a workspace's quota on POSTs: a sustained rate and a burst",
    )
    quota.add_argument("workspace")
    quota.add_argument("--rate", type=float, help="requests per second, sustained")
    quota.add_argument("--burst", type=int, help="requests at once, after a quiet spell")
    quota.add_argument(
        "--default", action="store_true", help="back to the deployment's default quota"
    )
    quota.set_defaults(run=_acting(_quota))

    tokens = commands.add_parser(
        "tokens", help="index users' device tokens stored before the index existed"
    )
    token_actions = tokens.add_subparsers(dest="action", required=True)
    token_reindex = token_actions.add_parser(
        "reindex",
        parents=[target],
        help="write each user's token index from their tokens (safe to run again)",
    )
    token_reindex.add_argument("workspace", nargs="?", help="only this workspace's users")
    tokens.set_defaults(run=_acting(_tokens))

    keys = commands.add_parser("keys", help="create, list or revoke API keys")
    key_actions = keys.add_subparsers(dest="action", required=True)
    key_create = key_actions.add_parser(
        "create", parents=[target], help="print a new key for a workspace"
    )
    key_create.add_argument("workspace")
    key_create.add_argument(
        "--test",
        action="store_true",
        help="a test key (hk_test_...): its sends run the pipeline into a recording sink,"
        " never a provider, over data kept apart from the live key's",
    )
    key_list = key_actions.add_parser(
        "list", parents=[target], help="every key's id, hint, workspace and times"
    )
    key_list.add_argument("workspace", nargs="?", help="only this workspace's keys")
    key_revoke = key_actions.add_parser(
        "revoke", parents=[target], help="revoke a key: it gets 401 from then on"
    )
    key_revoke.add_argument("key_id", help="as `keys list` shows it")
    keys.set_defaults(run=_acting(_keys))

    replay = commands.add_parser(
        "replay",
        parents=[target],
        help="list dead-lettered events, or redrive them to their topics after a fix",
    )
    replay.add_argument("action", choices=("list", "redrive"))
    replay.add_argument("--consumer", help="only this consumer's dead letters")
    replay.add_argument("--limit", type=int, default=100, help="per dead-letter subscription")
    replay.set_defaults(run=_acting(_replay))

    package = commands.add_parser(
        "package", help="build each function's deployable archive (what Terraform uploads)"
    )
    package.add_argument("--out", type=Path, default=Path("build/functions"))
    package.set_defaults(run=_package)

    events = commands.add_parser(
        "events",
        help="list every event with its producer, consumers, topic and schema version",
    )
    events.add_argument("--json", action="store_true", help="as JSON, one object per event")
    events.set_defaults(run=_events)

    generate = commands.add_parser(
        "generate",
        help="write schemas/, terraform/events.json, the event map and the generated docs pages "
        "from the code",
    )
    generate.add_argument("--check", action="store_true", help="only report stale files")
    generate.set_defaults(run=_generate)

    schemas = commands.add_parser(
        "schemas",
        help="check event schemas against the released ones (the compatibility gate), "
        "release them, or retire a version whose transition is over",
    )
    schemas.add_argument("action", choices=("check", "release", "retire"))
    schemas.add_argument("event", nargs="?", help="retire: the event, e.g. message.sent")
    schemas.add_argument("version", nargs="?", type=int, help="retire: the version to retire")
    schemas.set_defaults(run=_schemas)

    bench = commands.add_parser(
        "bench", help="the benchmark suite: every figure beside its floor, into the README"
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed on (--quick, ...)")
    bench.set_defaults(run=_bench)
    docs = commands.add_parser(
        "docs", help="serve the documentation site with live reload, or build it into site/"
    )
    docs.add_argument("action", nargs="?", choices=("serve", "build"), default="serve")
    docs.add_argument(
        "--address", default="127.0.0.1:8000", help="serve: where (default 127.0.0.1:8000)"
    )
    docs.set_defaults(run=_docs)

    test = commands.add_parser("test", help="lint, type-check and run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    test.set_defaults(run=_test)

    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["bench"]:  # its options are the suite's own (--quick, --phases ...)
        return _bench(argparse.Namespace(bench_args=given[1:]))
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
