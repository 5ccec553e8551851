"""The Firestore and Pub/Sub emulators from the gcloud SDK."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from herald_tools.local.processes import Child, free_port, wait_until

START_TIMEOUT_S = 90.0


def sdk_root() -> Path:
    if configured := os.environ.get("HERALD_GCLOUD_SDK"):
        return Path(configured)
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError(
            "the gcloud SDK is not on PATH; install it with its Firestore and Pub/Sub "
            "emulators, or set HERALD_GCLOUD_SDK to its root"
        )
    return Path(gcloud).resolve().parent.parent


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Emulators:
    """Both emulators; ``functions_port`` is where Firestore posts trigger events."""

    log_dir: Path
    functions_port: int
    firestore_port: int = 0
    pubsub_port: int = 0
    project: str = "herald-local"

    def __post_init__(self) -> None:
        self.firestore_port = self.firestore_port or free_port()
        self.pubsub_port = self.pubsub_port or free_port()
        root = sdk_root() / "platform"
        self._firestore = Child(
            "firestore-emulator",
            [
                # What the SDK's cloud_firestore_emulator script runs, minus the shell
                # in between, so the JVM is our direct child and dies with us.
                os.environ.get("JAVA", "java"),
                "-Duser.language=en",
                "-cp",
                str(root / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"),
                "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                "start",
                "--host=127.0.0.1",
                f"--port={self.firestore_port}",
                # The emulator delivers gen2 Firestore triggers itself, to this host.
                f"--functions_emulator=127.0.0.1:{self.functions_port}",
            ],
            self.log_dir / "firestore-emulator.log",
        )
        self._pubsub = Child(
            "pubsub-emulator",
            [
                str(root / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"),
                "--host=127.0.0.1",
                f"--port={self.pubsub_port}",
            ],
            self.log_dir / "pubsub-emulator.log",
        )

    @property
    def firestore_host(self) -> str:
        return f"127.0.0.1:{self.firestore_port}"

    @property
    def pubsub_host(self) -> str:
        return f"127.0.0.1:{self.pubsub_port}"

    @property
    def firestore_pid(self) -> int | None:
        return self._firestore.pid

    @property
    def pubsub_pid(self) -> int | None:
        return self._pubsub.pid

    def env(self) -> dict[str, str]:
        return {
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "GOOGLE_CLOUD_PROJECT": self.project,
        }

    def start(self) -> None:
        self._firestore.start()
        self._pubsub.start()
        for child, url in (
            (self._firestore, f"http://{self.firestore_host}/"),
            (self._pubsub, f"http://{self.pubsub_host}/"),
        ):
            wait_until(
                lambda c=child, u=url: _http_ok(u) or not c.alive(),  # type: ignore[misc]
                START_TIMEOUT_S,
                child.name,
            )
            if not child.alive():
                raise RuntimeError(f"{child.name} exited:\n{child.tail()}")

    def register_firestore_trigger(
        self,
        trigger_id: str,
        document_pattern: str,
        event_type: str = "google.cloud.firestore.document.v1.written",
    ) -> None:
        """Registers a gen2 Firestore trigger (Eventarc's event type) with the emulator."""
        body = {
            "eventType": event_type,
            "database": "(default)",
            "namespace": "(default)",
            "document": {"value": document_pattern, "matchType": "PATH_PATTERN"},
        }
        request = urllib.request.Request(
            f"http://{self.firestore_host}/emulator/v1/projects/{self.project}"
            f"/eventarcTrigger?eventarcTriggerId={trigger_id}",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def clear_firestore(self, project: str) -> None:
        """Deletes every document of ``project`` in the Firestore emulator (its reset
        endpoint): what one benchmark phase wrote does not weigh on the next."""
        request = urllib.request.Request(
            f"http://{self.firestore_host}/emulator/v1/projects/{project}"
            "/databases/(default)/documents",
            method="DELETE",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    def stop(self) -> None:
        self._firestore.stop()
        self._pubsub.stop()
