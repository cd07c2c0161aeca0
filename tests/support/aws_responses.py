"""Real AWS response material (tests/fixtures/aws_responses, see its README) and bodies derived from it.

`serve` answers one operation of a real botocore client with raw response bodies, one per request,
so botocore (or the collector's own XML counting) parses exactly what AWS sent.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws_responses"
OLD_NAMESPACE = "http://ec2.amazonaws.com/doc/2014-06-15/"
NEW_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def body(name: str) -> bytes:
    """A botocore fixture body, e.g. body("describe-volumes")."""
    return (FIXTURES / f"botocore-ec2-{name}.xml").read_bytes()


def example(service: str, operation: str, index: int = 0) -> dict[str, Any]:
    """The parsed output of AWS's documented example (a fresh copy)."""
    examples = json.loads((FIXTURES / f"botocore-examples-{service}.json").read_text())
    return copy.deepcopy(examples[operation][index]["output"])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element:
    for child in element:
        if _local(child.tag) == name:
            return child
    raise KeyError(name)


def paged(
    name: str,
    set_tag: str,
    items: Sequence[ET.Element],
    per_page: int,
    *,
    namespace: str = OLD_NAMESPACE,
    empty_last_token: bool = True,
    reverse_children: bool = False,
) -> list[bytes]:
    """Pages of a botocore fixture body holding `items`, `per_page` each, chained by nextToken.

    The last page carries an empty `<nextToken/>` (as AWS sends it) unless told otherwise;
    `reverse_children` reverses the order of every element's children (XML order is not a contract).
    """
    template = ET.fromstring(body(name))
    pages = []
    starts = range(0, max(len(items), 1), per_page)
    for number, start in enumerate(starts):
        root = ET.Element(f"{{{namespace}}}{_local(template.tag)}")
        ET.SubElement(root, f"{{{namespace}}}requestId").text = f"request-{number}"
        item_set = ET.SubElement(root, f"{{{namespace}}}{set_tag}")
        item_set.extend(
            _renamespace(copy.deepcopy(item), namespace) for item in items[start : start + per_page]
        )
        if number + 1 < len(starts):
            ET.SubElement(root, f"{{{namespace}}}nextToken").text = f"token-{number + 1}"
        elif empty_last_token:
            ET.SubElement(root, f"{{{namespace}}}nextToken")
        if reverse_children:
            for element in root.iter():
                element[:] = list(reversed(element))
        pages.append(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return pages


def _renamespace(element: ET.Element, namespace: str) -> ET.Element:
    for node in element.iter():
        node.tag = f"{{{namespace}}}{_local(node.tag)}"
    return element


def instance_status_item(
    instance_id: str, name: str | None, code: int | None, *, instance: str = "ok", system: str = "ok"
) -> ET.Element:
    """botocore's DescribeInstanceStatus item with another id, state and check statuses.
    `None` leaves the element out, as a malformed or future answer might."""
    item = copy.deepcopy(
        _child(_child(ET.fromstring(body("describe-instance-status")), "instanceStatusSet"), "item")
    )
    _child(item, "instanceId").text = instance_id
    state = _child(item, "instanceState")
    for field, value in (("code", code), ("name", name)):
        if value is None:
            state.remove(_child(state, field))
        else:
            _child(state, field).text = str(value)
    _child(_child(item, "instanceStatus"), "status").text = instance
    _child(_child(item, "systemStatus"), "status").text = system
    return item


def volume_item(volume_id: str, state: str) -> ET.Element:
    """botocore's first DescribeVolumes item (attached: its attachment says `attached`) in `state`."""
    volumes = _child(ET.fromstring(body("describe-volumes")), "volumeSet")
    item = copy.deepcopy(_child(volumes, "item"))
    _child(item, "volumeId").text = volume_id
    _child(item, "status").text = state
    return item


def volume_status_item(volume_id: str, status: str) -> ET.Element:
    statuses = _child(ET.fromstring(body("describe-volume-status")), "volumeStatusSet")
    item = copy.deepcopy(_child(statuses, "item"))
    _child(item, "volumeId").text = volume_id
    _child(_child(item, "volumeStatus"), "status").text = status
    return item


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def serve(client: Any, operation: str, bodies: Sequence[bytes], status: int = 200) -> list[str]:
    """Answer `operation` with `bodies`: the first without a NextToken, `token-N` gets the N-th (as
    `paged` chains them; a single body answers every request). Returns the request bodies sent, so a
    test sees the NextToken of every request."""
    sent: list[str] = []

    def send(request: Any, **_: Any) -> AWSResponse:
        text = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        sent.append(text)
        token = parse_qs(text).get("NextToken", ["token-0"])[0]
        index = min(int(token.removeprefix("token-")), len(bodies) - 1)
        headers = HTTPHeaders()
        headers["Content-Type"] = "text/xml;charset=UTF-8"
        return AWSResponse(request.url, status, headers, _Raw(bodies[index]))

    client.meta.events.register(f"before-send.ec2.{operation}", send)
    return sent
