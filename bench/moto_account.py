"""The benchmarks' emulated account: fake credentials and a quiet moto (`fake_aws`), the answer moto
cannot give (DescribeVolumeStatus), and a stdout that counts what the EMF sink prints."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator

from bench.replay import Recorded

REGION = "us-east-1"
AMI = "ami-12c6146b"


@contextlib.contextmanager
def fake_aws() -> Iterator[None]:
    """Credentials and region for moto and replay clients, and moto without its 1,300 default AMIs
    (each RunInstances would otherwise filter them for every instance)."""
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "POWERTOOLS_SERVICE_NAME"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class CountingStdout(io.TextIOBase):
    """Stands in for stdout while the EMF sink prints: counts the bytes, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


def empty_volume_status(template: Recorded) -> Recorded:
    # moto does not implement DescribeVolumeStatus; AWS answers the collector's impaired-only filter
    # on a healthy account with an empty set.
    namespace = template.body.split(b'xmlns="', 1)[1].split(b'"', 1)[0]
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<DescribeVolumeStatusResponse xmlns="'
        + namespace
        + b'"><requestId>bench</requestId><volumeStatusSet/></DescribeVolumeStatusResponse>'
    )
    return Recorded(template.status, template.headers, body)
