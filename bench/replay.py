"""Record AWS responses once from moto, then serve them, page by page, to a client with no emulator.

moto spends seconds building a large EC2 response and ignores `MaxResults` (everything comes back
in one page), so timing a collector against moto measures moto, and counting its calls undercounts
the pages AWS would send. Here each operation's full answer is recorded from moto once; a replay
client then gets it split into the pages its requests ask for (`MaxResults`/`NextToken` for EC2
and ListClusters, the requested clusters for DescribeClusters), as raw bytes that botocore parses
exactly as it parses AWS's. What a replay sample costs is therefore our code plus botocore
(serialization, signing, parsing), and nothing of the emulator.

`CallMeter` counts calls and response bytes with a botocore `after-call` hook, on moto or replay.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

REGION = "us-east-1"


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class CallMeter:
    """Calls and response bytes per operation, from the client's `after-call` event."""

    calls: dict[str, int] = field(default_factory=dict)
    response_bytes: dict[str, int] = field(default_factory=dict)

    def attach(self, client: Any) -> CallMeter:
        client.meta.events.register(f"after-call.{_service(client)}", self._count)
        return self

    def _count(self, http_response: Any, model: Any, **_: Any) -> None:
        self.calls[model.name] = self.calls.get(model.name, 0) + 1
        self.response_bytes[model.name] = self.response_bytes.get(model.name, 0) + len(
            http_response.content or b""
        )

    def reset(self) -> None:
        self.calls.clear()
        self.response_bytes.clear()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.response_bytes.values())


class Recorder:
    """Keeps the raw response of every call a (moto-backed) client makes, by operation."""

    def __init__(self, client: Any) -> None:
        self.last: dict[str, Recorded] = {}
        client.meta.events.register(f"after-call.{_service(client)}", self._keep)

    def _keep(self, http_response: Any, model: Any, **_: Any) -> None:
        self.last[model.name] = Recorded(
            http_response.status_code, dict(http_response.headers), bytes(http_response.content or b"")
        )


# A replay answer: the operation's API parameters in, the raw response out.
Answer = Callable[[dict[str, Any]], Recorded]


class Replay:
    """A real boto3 client whose requests are answered from recordings instead of the network."""

    def __init__(self, service: str, answers: Mapping[str, Answer]) -> None:
        self.client: Any = boto3.client(  # type: ignore[call-overload]
            service,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url=f"https://{service}.{REGION}.amazonaws.com",
        )
        self._answers = answers
        self._params: dict[str, dict[str, Any]] = {}
        self.attach(self.client)

    def attach(self, client: Any) -> None:
        """Answer `client`'s requests too (a client made elsewhere, e.g. from its own session)."""
        events = client.meta.events
        name = _service(client)
        events.register(f"provide-client-params.{name}", self._keep_params)
        events.register(f"before-send.{name}", self._send)

    def _keep_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._params[model.name] = copy.deepcopy(params)

    def _send(self, request: Any, **kwargs: Any) -> AWSResponse:
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        recorded = self._answers[operation](self._params.get(operation, {}))
        headers = HTTPHeaders()
        for name, value in recorded.headers.items():
            headers[name] = value
        return AWSResponse(request.url, recorded.status, headers, _Body(recorded.body))


class _Body:
    """The raw stream botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def fixed(recorded: Recorded) -> Answer:
    return lambda params: recorded


# --- EC2 (XML): split a recorded set into pages -------------------------------------------------------


class XmlPages:
    """Pages of a recorded EC2 Describe* response: `MaxResults` items each, `NextToken` = offset.

    `weight` counts what one item holds against MaxResults (DescribeInstances pages count
    instances, and its items are reservations)."""

    def __init__(
        self, recorded: Recorded, set_tag: str, weight: Callable[[ET.Element], int] | None = None
    ) -> None:
        self.recorded = recorded
        root = ET.fromstring(recorded.body)
        self._namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        ET.register_namespace("", self._namespace)
        self._root = root
        self._set = root.find(self._tag(set_tag))
        if self._set is None:
            raise ValueError(f"no <{set_tag}> in the recorded response")
        self.items = list(self._set)
        self._weight = weight or (lambda item: 1)
        self._cache: dict[tuple[int, int], Recorded] = {}

    def _tag(self, name: str) -> str:
        return f"{{{self._namespace}}}{name}" if self._namespace else name

    def __call__(self, params: dict[str, Any]) -> Recorded:
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 1_000_000)
        key = (start, size)
        if key not in self._cache:
            self._cache[key] = self._page(start, size)
        return self._cache[key]

    def _page(self, start: int, size: int) -> Recorded:
        end, held = start, 0
        while end < len(self.items) and (held == 0 or held + self._weight(self.items[end]) <= size):
            held += self._weight(self.items[end])
            end += 1
        # Elements may sit under several parents in ElementTree: the items are shared, not copied.
        root = ET.Element(self._root.tag, self._root.attrib)
        for child in self._root:
            if child is self._set:
                ET.SubElement(root, child.tag, child.attrib).extend(self.items[start:end])
            elif child.tag != self._tag("nextToken"):
                root.append(child)
        if end < len(self.items):
            ET.SubElement(root, self._tag("nextToken")).text = str(end)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")
        return Recorded(self.recorded.status, self.recorded.headers, body)


def instances_in(reservation: ET.Element) -> int:
    """How many instances a <reservationSet><item> holds (DescribeInstances' MaxResults counts them)."""
    return sum(1 for child in reservation if child.tag.endswith("instancesSet") for _ in child)


# --- ECS (JSON) -----------------------------------------------------------------------------------------


def json_recorded(template: Recorded, document: dict[str, Any]) -> Recorded:
    return Recorded(template.status, template.headers, json.dumps(document).encode())


class ListPages:
    """ListClusters pages of `maxResults` ARNs with `nextToken` = offset."""

    def __init__(self, template: Recorded, arns: list[str]) -> None:
        self.template, self.arns = template, arns

    def __call__(self, params: dict[str, Any]) -> Recorded:
        start = int(params.get("nextToken") or 0)
        size = int(params.get("maxResults") or 100)
        document: dict[str, Any] = {"clusterArns": self.arns[start : start + size]}
        if start + size < len(self.arns):
            document["nextToken"] = str(start + size)
        return json_recorded(self.template, document)


class ClusterDescriptions:
    """DescribeClusters answered with the recorded descriptions of the clusters asked for."""

    def __init__(self, template: Recorded, clusters: Sequence[Mapping[str, Any]]) -> None:
        self.template = template
        self.by_ref = {c["clusterArn"]: c for c in clusters} | {c["clusterName"]: c for c in clusters}

    def __call__(self, params: dict[str, Any]) -> Recorded:
        refs = params.get("clusters", [])
        found = [self.by_ref[r] for r in refs if r in self.by_ref]
        failures = [{"arn": r, "reason": "MISSING"} for r in refs if r not in self.by_ref]
        return json_recorded(self.template, {"clusters": found, "failures": failures})


def _service(client: Any) -> str:
    return str(client.meta.service_model.service_id.hyphenize())
