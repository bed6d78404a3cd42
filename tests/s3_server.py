"""A real S3-compatible server on 127.0.0.1: moto's standalone server, in its own process.

Its own process, not a thread: every ``exnews`` child and the test itself talk to it over
HTTP at once, and in-process it would share the test's interpreter lock. It keeps objects
in memory and supports conditional writes (``If-None-Match: *``), as S3 does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "exnews-test",
    "AWS_SECRET_ACCESS_KEY": "exnews-test-secret",
    "AWS_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    @property
    def environment(self) -> dict[str, str]:
        """What a process needs to reach it: the standard AWS variables."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint, "AWS_ALLOW_HTTP": "true"}

    def bucket(self) -> str:
        """A new, empty bucket; its name."""
        name = f"exnews-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_REGION"],
        )
        client.create_bucket(Bucket=name)
        return name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def s3_server(timeout: float = 60) -> Iterator[S3Server]:
    """``python -m moto.server`` on a free port until the block ends; stopped with SIGTERM."""
    port = _free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ)
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on port {port}") from None
                time.sleep(0.1)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        child.terminate()
        child.wait(timeout=30)
