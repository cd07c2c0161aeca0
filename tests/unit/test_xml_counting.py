"""The streaming XML count (collector_core.xml_counting) against botocore's full parse of the same
bytes: on AWS's recorded bodies, bodies derived from them (pages, both namespaces, any element
order, missing members); errors and unrecognised bodies stay botocore's. (On moto's bodies:
tests/integration/test_xml_counting_moto.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from collector_core.clients import client_config, ec2_client
from collector_core.xml_counting import LISTINGS, install
from tests.support.aws_responses import (
    NEW_NAMESPACE,
    OLD_NAMESPACE,
    body,
    instance_status_item,
    paged,
    serve,
    volume_item,
)

METHODS = {"DescribeInstanceStatus": "describe_instance_status", "DescribeVolumes": "describe_volumes"}


def wanted(operation: str, full: dict[str, Any]) -> dict[str, Any]:
    """botocore's parsed item cut down to the members the projection keeps."""
    listing = next(listing for listing in LISTINGS if listing.operation == operation)
    out: dict[str, Any] = {}
    for field in listing.fields.values():
        source: Any = full
        for key in field.keys:
            source = source.get(key) if isinstance(source, dict) else None
        if source is None:
            continue
        holder = out
        for key in field.keys[:-1]:
            holder = holder.setdefault(key, {})
        holder[field.keys[-1]] = source
    for key in listing.parents.values():
        if key in full:
            out.setdefault(key, {})
    return out


def both_ways(operation: str, bodies: list[bytes]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of `operation` parsed by botocore and by the streaming count."""
    results = []
    for fast in (False, True):
        client: Any = ec2_client(client_config(5))
        if fast:
            install(client)
        serve(client, operation, bodies)
        results.append(list(client.get_paginator(METHODS[operation]).paginate()))
    return results[0], results[1]


def assert_same(operation: str, bodies: list[bytes]) -> int:
    key = next(listing.key for listing in LISTINGS if listing.operation == operation)
    full, fast = both_ways(operation, bodies)
    assert [len(page[key]) for page in fast] == [len(page[key]) for page in full]
    assert [page.get("NextToken") for page in fast] == [page.get("NextToken") for page in full]
    assert [page["ResponseMetadata"]["RequestId"] for page in fast] == [
        page["ResponseMetadata"]["RequestId"] for page in full
    ]
    for full_page, fast_page in zip(full, fast, strict=True):
        assert fast_page[key] == [wanted(operation, item) for item in full_page[key]]
    return sum(len(page[key]) for page in fast)


def test_xml_counting_matches_botocore_on_the_recorded_bodies() -> None:
    assert assert_same("DescribeInstanceStatus", [body("describe-instance-status")]) == 1
    assert assert_same("DescribeVolumes", [body("describe-volumes")]) == 2


@pytest.mark.parametrize("namespace", [OLD_NAMESPACE, NEW_NAMESPACE])
@pytest.mark.parametrize("reverse_children", [False, True])
def test_xml_counting_matches_botocore_on_derived_pages(namespace: str, reverse_children: bool) -> None:
    options: dict[str, Any] = {"namespace": namespace, "reverse_children": reverse_children}
    statuses = [
        instance_status_item("i-00000000000000001", "running", 16),
        instance_status_item("i-00000000000000002", "stopping", 64, instance="impaired"),
        instance_status_item("i-00000000000000003", "running", 272, system="impaired"),
        instance_status_item("i-00000000000000004", "stopped", None),
        instance_status_item("i-00000000000000005", None, None),
        instance_status_item("i-00000000000000006", "shutting-down", 32),
    ]
    volumes = [volume_item(f"vol-{n}", state) for n, state in enumerate(["in-use", "available", "error", ""])]

    counted = assert_same(
        "DescribeInstanceStatus",
        paged("describe-instance-status", "instanceStatusSet", statuses, 4, **options),
    )
    assert counted == 6
    assert assert_same("DescribeVolumes", paged("describe-volumes", "volumeSet", volumes, 3, **options)) == 4


def test_xml_counting_keeps_an_empty_listing_and_an_absent_next_token() -> None:
    empty = paged("describe-volumes", "volumeSet", [], 500, empty_last_token=False)
    full, fast = both_ways("DescribeVolumes", empty)
    assert fast[0]["Volumes"] == full[0]["Volumes"] == []
    assert "NextToken" not in fast[0]


def test_xml_counting_leaves_error_responses_to_botocore() -> None:
    error = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>'
        b"<Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
    )
    client = install(ec2_client(client_config(1)))  # 1 s period: one attempt, no retry sleeps
    serve(client, "DescribeVolumes", [error], status=503)

    with pytest.raises(ClientError) as raised:
        client.describe_volumes()

    assert raised.value.response["Error"]["Code"] == "RequestLimitExceeded"


def test_xml_counting_leaves_unrecognised_bodies_to_botocore() -> None:
    # a body without the listing element (another operation's answer) parses as botocore parses it
    client = install(ec2_client(client_config(5)))
    serve(client, "DescribeVolumes", [body("describe-snapshots")])

    assert "Volumes" not in client.describe_volumes()
