"""Read the two large EC2 listings straight from their XML, keeping only the fields the counts need.

Why: at 10,000 instances and 10,000 volumes botocore's model-driven parse of DescribeInstanceStatus
and DescribeVolumes cost about 2.9 s of CPU per sample (48% dateutil parsing `createTime` and
`attachTime`, which nothing here reads; 40% the shape walk in Python), several times what a 256 MB
function gets in a 5 s period. The bytes themselves are cheap: expat tokenizes a 460 KB page of
500 volumes in about 1.4 ms here; building an ElementTree of it takes 7.5 ms, botocore's parse far
more. So the listing is streamed through expat with two small handlers that track the depth and
switch character-data capture on only for the few elements wanted (about 5 ms a page).

How: a `before-parse` hook (botocore's own extension point, emitted with the raw response before
its parser runs) streams a successful body through expat, projects each item of the listing to
the few keys the collector reads, in botocore's shape and spelling (`{"State": "in-use"}`), hands
those to botocore through `customized_response_dict`, and leaves botocore only the envelope
(`requestId`, `nextToken`) to parse. Everything else stays botocore's: requests, signing,
retries, pagination (the paginator reads `NextToken` from the envelope) and error responses
(status >= 300, left untouched). An answer this module does not recognise (no listing element,
a body that is not XML) is also left untouched, so botocore parses it, or raises, as before.

Robust to what AWS varies: the XML namespace is taken from the root element (AWS still answers
with old API versions' namespaces), children are looked up by name, never by position, and an
element AWS leaves out is left out of the projection, as botocore leaves it out of its parse.
tests/unit/test_xml_counting.py holds the projection equal to botocore's full parse on AWS's
recorded bodies and on moto's. Shared by the poll-mode collector and the events mode's reconcile job.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Items of one listing, as the collector reads them (a subset of botocore's parsed shape).
Item = dict[str, Any]
# Where a wanted element sits below an <item>: its name, or (parent name, name).
Where = str | tuple[str, str]


def _int(text: str) -> int | None:
    """An integer member (InstanceState.Code); None, so the key stays out, when it is not one."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else None


@dataclass(frozen=True)
class Field:
    """One member of an item: botocore's key path for it and how its text converts."""

    keys: tuple[str, ...]
    convert: Callable[[str], Any] = str


@dataclass(frozen=True)
class Listing:
    """Where one operation's items sit in the XML and in botocore's parsed answer, and what of
    each item the collector reads."""

    operation: str
    set_tag: str  # the XML element holding the items, e.g. volumeSet
    key: str  # botocore's member name for them, e.g. Volumes
    fields: Mapping[Where, Field]

    @property
    def parents(self) -> dict[str, str]:
        """Item children whose own children are wanted: XML name -> botocore key."""
        return {where[0]: f.keys[0] for where, f in self.fields.items() if isinstance(where, tuple)}

    def before_parse(
        self, response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
    ) -> None:
        if response_dict.get("status_code") != 200:
            return  # errors keep botocore's parsing (codes, messages, retries)
        body = response_dict.get("body")
        if not isinstance(body, bytes | str):
            return
        try:
            parsed = self.stream(body)
        except xml.parsers.expat.ExpatError:
            return  # not ours to judge: botocore raises its own ResponseParserError
        if parsed is None:
            return
        root_tag, envelope, items = parsed
        customized_response_dict[self.key] = items
        response_dict["body"] = _envelope(root_tag, envelope)

    def stream(self, body: bytes | str) -> tuple[str, dict[str, str], list[Item]] | None:
        """(root tag, the root's other scalar children, projected items), or None without a listing."""
        projector = _Projector(self)
        projector.parser.Parse(body, True)
        if not projector.found:
            return None
        return projector.root, projector.envelope, projector.items


class _Projector:
    """expat handlers for one body. Depths: 1 the response, 2 its members (requestId, the set,
    nextToken), 3 an item, 4 an item's members, 5 their members. Character data is captured only
    inside a wanted element, so whitespace and the many unread members cost one call per tag;
    what a tag means at depth 4 or 5 is worked out once per tag name and kept."""

    __slots__ = (
        "_at4", "_at5", "_fields", "_parents", "_set_tag", "_text", "depth", "envelope", "found",
        "in_set", "item", "items", "member", "parent", "parser", "root", "target",
    )  # fmt: skip

    def __init__(self, listing: Listing) -> None:
        self._fields, self._parents, self._set_tag = listing.fields, listing.parents, listing.set_tag
        # Full tag name -> (its field, or the XML name of a parent whose children are wanted).
        self._at4: dict[str, tuple[Field | None, str]] = {}
        self._at5: dict[tuple[str, str], Field | None] = {}
        self._text: list[str] = []
        self.depth = 0
        self.root = ""
        self.in_set = self.found = False
        self.item: Item | None = None
        self.items: list[Item] = []
        self.envelope: dict[str, str] = {}
        self.parent = ""  # XML name of the current depth-4 element, when its children are wanted
        self.member = ""  # XML name of the current depth-2 element outside the set
        self.target: Field | None = None
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
        self.parser.buffer_text = True
        self.parser.ordered_attributes = True  # a list per tag, cheaper than a dict; none are read
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def _meaning4(self, name: str) -> tuple[Field | None, str]:
        local = name.rpartition("}")[2]
        field = self._fields.get(local)
        meaning = (field, "" if field is not None or local not in self._parents else local)
        self._at4[name] = meaning
        return meaning

    def _meaning5(self, parent: str, name: str) -> Field | None:
        field = self._fields.get((parent, name.rpartition("}")[2]))
        self._at5[parent, name] = field
        return field

    def start(self, name: str, _attrs: object) -> None:
        depth = self.depth = self.depth + 1
        if depth > 5:
            return
        if depth == 4:
            if self.item is None:
                return
            meaning = self._at4.get(name) or self._meaning4(name)
            field, parent = meaning
            if field is not None:
                self.target = field
                self._text.clear()
                self.parser.CharacterDataHandler = self._text.append
            elif parent:
                self.parent = parent
                self.item.setdefault(self._parents[parent], {})
        elif depth == 5:
            if self.parent:
                key = (self.parent, name)
                field = self._at5[key] if key in self._at5 else self._meaning5(self.parent, name)
                if field is not None:
                    self.target = field
                    self._text.clear()
                    self.parser.CharacterDataHandler = self._text.append
        elif depth == 3:
            if self.in_set:
                self.item = {}
        elif depth == 2:
            self.in_set = name.rpartition("}")[2] == self._set_tag
            self.found |= self.in_set
            if not self.in_set:
                self.member = name
                self._text.clear()
                self.parser.CharacterDataHandler = self._text.append
        else:
            self.root = name

    def end(self, _name: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        target = self.target
        if target is not None:
            self.target = None
            self.parser.CharacterDataHandler = None
            if self.item is not None:
                value = target.convert("".join(self._text))
                if value is not None:
                    holder = self.item
                    for key in target.keys[:-1]:
                        holder = holder.setdefault(key, {})
                    holder[target.keys[-1]] = value
        elif depth > 4:
            return
        if depth == 4:
            self.parent = ""
        elif depth == 3:
            if self.item is not None:
                self.items.append(self.item)
                self.item = None
        elif depth == 2:
            if self.member:
                self.envelope[self.member] = "".join(self._text)
                self.member = ""
                self.parser.CharacterDataHandler = None
            self.in_set = False


def _envelope(root_tag: str, members: Mapping[str, str]) -> bytes:
    """The response without its listing: what botocore still parses (requestId, nextToken)."""

    def tag(name: str) -> str:
        namespace, _, local = name.rpartition("}")
        return f"{{{namespace}}}{local}" if namespace else local

    root = ET.Element(tag(root_tag))
    for name, text in members.items():
        ET.SubElement(root, tag(name)).text = text or None
    return ET.tostring(root)


LISTINGS: tuple[Listing, ...] = (
    Listing(
        "DescribeInstanceStatus",
        "instanceStatusSet",
        "InstanceStatuses",
        {
            "instanceId": Field(("InstanceId",)),
            ("instanceState", "code"): Field(("InstanceState", "Code"), _int),
            ("instanceState", "name"): Field(("InstanceState", "Name")),
            # The check's own <status>: its <details> items (depth 6) carry a <status> too.
            ("instanceStatus", "status"): Field(("InstanceStatus", "Status")),
            ("systemStatus", "status"): Field(("SystemStatus", "Status")),
        },
    ),
    # The volume's own <status> (its attachments' <status>, "attached", sits at depth 6).
    # VolumeId: the events mode's reconcile repairs volumes by id (ec2_state_events.reconcile).
    Listing(
        "DescribeVolumes",
        "volumeSet",
        "Volumes",
        {"volumeId": Field(("VolumeId",)), "status": Field(("State",))},
    ),
)


def install(ec2: Any) -> Any:
    """Make `ec2` (a boto3 EC2 client) answer the listings above with projected items; returns it.

    Only these two operations change, and only the members the collector reads are present in
    their answers; every other operation of the client parses as before.
    """
    for listing in LISTINGS:
        ec2.meta.events.register(
            f"before-parse.ec2.{listing.operation}",
            listing.before_parse,
            unique_id=f"highres-xml-counting-{listing.operation}",
        )
    return ec2
