"""The HTTP load generator: ``wrk`` (Debian's package), found or installed, and its results."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "apt-get install -y wrk (Debian/Ubuntu; as root), or put wrk on PATH"

# wrk calls ``done`` once at the end; it prints one JSON line the runner parses.
_SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
%(auth)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"errors":%%d,"non2xx":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


class WrkMissing(RuntimeError):
    pass


def locate(install: bool = True) -> str:
    """The wrk binary; installed with apt-get when absent and allowed (root on Debian)."""
    if found := shutil.which("wrk"):
        return found
    if install and shutil.which("apt-get"):
        print("wrk is not installed; installing it with apt-get...", flush=True)
        done = subprocess.run(
            ["apt-get", "install", "-y", "wrk"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and (found := shutil.which("wrk")):
            return found
    raise WrkMissing(f"the benchmark needs the HTTP load generator wrk: {INSTALL_HINT}")


@dataclass(frozen=True)
class LoadResult:
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # connection errors and timeouts
    non2xx: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def combined(runs: list[LoadResult]) -> LoadResult:
    """Several runs as one: requests and time added up, the median of their percentiles."""
    return LoadResult(
        connections=runs[0].connections,
        requests=sum(r.requests for r in runs),
        seconds=sum(r.seconds for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        non2xx=sum(r.non2xx for r in runs),
    )


def lua_script(body: str, api_key: str | None) -> str:
    auth = f'wrk.headers["Authorization"] = "Bearer {api_key}"' if api_key else ""
    # A Lua long string holds any JSON without escaping.
    return _SCRIPT % {"body": f"[==[{body}]==]", "auth": auth}


def run(
    wrk: str, url: str, body: str, api_key: str | None, connections: int, seconds: float
) -> LoadResult:
    """POSTs ``body`` to ``url`` over ``connections`` keep-alive connections for ``seconds``."""
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "post.lua"
        script.write_text(lua_script(body, api_key))
        done = subprocess.run(
            [
                wrk,
                f"--threads={min(connections, 2)}",
                f"--connections={connections}",
                f"--duration={seconds:.0f}s",
                "--timeout=10s",
                f"--script={script}",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(
        connections=connections,
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=summary["errors"],
        non2xx=summary["non2xx"],
    )
