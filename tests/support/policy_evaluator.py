"""Evaluates the IAM, SNS, SQS and KMS policies of a synthesized CloudFormation template, offline.

moto enforces no policy at all, so a template whose alarm topic lets nobody publish passes every
moto test. This module answers "would AWS allow this request?" from the template alone, the way
AWS's policy evaluation logic documents it for one account:

- an explicit Deny in any applicable statement wins; otherwise an Allow is needed; otherwise the
  request is implicitly denied;
- `Action` / `NotAction` match case-insensitively with `*` and `?`; `Resource` / `NotResource`
  match case-sensitively with the same wildcards (a `*` may span `:` and `/`);
- `Principal` is `"*"`, `{"AWS": ...}` or `{"Service": ...}`; an AWS principal matches `"*"` or
  the exact ARN only (an account's `:root` does not stand for its roles here, which can only make
  a path fail, never pass);
- conditions: every operator in a block must hold, every key in an operator must hold, and any
  one of a key's values is enough. A key missing from the request makes a positive operator false
  and a negated one (`StringNotEquals`, `ArnNotLike`, ...) true; `...IfExists` holds when the key
  is missing;
- set operators on multi-valued keys (`oam:ResourceTypes`, `aws:TagKeys`): `ForAllValues:` holds
  when every value of the request's set matches (each one is not matched, for a negated operator),
  and also when the key is missing or its set empty; `ForAnyValue:` holds when at least one value
  does, and never for a missing key or an empty set (IAM User Guide, "Set operators for
  multivalued context keys",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).

Anything else in a policy (`NotPrincipal`, an operator not listed in `_OPERATORS`, another
qualifier than those two, `Null` under a qualifier, a managed policy on a role) raises
`UnsupportedPolicyError` instead of being ignored: an evaluator that skips what it does not
understand would prove nothing.

`TemplateResolver` turns `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` and the pseudo parameters into
the strings CloudFormation would produce, for a fake account, region and stack name, with
physical names derived from logical ids where the template gives none.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

ContextValue = str | bool | Sequence[str]


class UnsupportedPolicyError(ValueError):
    """The policy uses something this evaluator does not model; it refuses to guess."""


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Principal:
    """Who sends the request: a service (`cloudwatch.amazonaws.com`) or an IAM ARN."""

    service: str | None = None
    arn: str | None = None


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    principal: Principal = field(default_factory=Principal)
    context: Mapping[str, ContextValue] = field(default_factory=dict)


def evaluate(statements: Iterable[Mapping[str, Any]], request: Request, *, resource_policy: bool) -> Decision:
    """The decision of one policy (its statements) on `request`.

    `resource_policy=True` requires each statement's `Principal` to match the request's principal;
    identity policies must not carry one.
    """
    allowed = False
    for statement in statements:
        if not _applies(statement, request, resource_policy=resource_policy):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect != "Allow":
            raise UnsupportedPolicyError(f"Effect {effect!r}")
        allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _applies(statement: Mapping[str, Any], request: Request, *, resource_policy: bool) -> bool:
    known = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"}
    unknown = set(statement) - known
    if unknown:
        raise UnsupportedPolicyError(f"statement element(s) {', '.join(sorted(unknown))}")
    if resource_policy != ("Principal" in statement):
        where = "a resource policy needs" if resource_policy else "an identity policy must not have"
        raise UnsupportedPolicyError(f"{where} a Principal: {statement}")
    if resource_policy and not principal_matches(statement["Principal"], request.principal):
        return False
    if not _element_matches(statement, "Action", request.action, action_matches):
        return False
    if not _element_matches(statement, "Resource", request.resource, resource_matches):
        return False
    return conditions_hold(statement.get("Condition", {}), request.context)


def _element_matches(
    statement: Mapping[str, Any], name: str, value: str, matches: Callable[[str, str], bool]
) -> bool:
    if (name in statement) == (f"Not{name}" in statement):
        raise UnsupportedPolicyError(f"a statement needs exactly one of {name} and Not{name}")
    if name in statement:
        return any(matches(pattern, value) for pattern in _as_list(statement[name]))
    return not any(matches(pattern, value) for pattern in _as_list(statement[f"Not{name}"]))


def principal_matches(principal: Any, who: Principal) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping) or set(principal) - {"AWS", "Service"}:
        raise UnsupportedPolicyError(f"Principal {principal!r}")
    if who.service is not None and who.service in _as_list(principal.get("Service", [])):
        return True
    return who.arn is not None and any(
        pattern in ("*", who.arn) for pattern in _as_list(principal.get("AWS", []))
    )


def action_matches(pattern: str, action: str) -> bool:
    """IAM action names are case-insensitive; `*` and `?` are wildcards."""
    return _glob(pattern.lower()).fullmatch(action.lower()) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """ARNs compare case-sensitively; a `*` may span segments (`log-group:x:*` covers its streams)."""
    return _glob(pattern).fullmatch(resource) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike / ArnEquals: the six colon-separated parts compared one by one, wildcards in each."""
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_glob(p).fullmatch(a) is not None for p, a in zip(pattern_parts, arn_parts, strict=True))


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


def _string_like(pattern: str, value: str) -> bool:
    return _glob(pattern).fullmatch(value) is not None


def _bool(policy_value: str, value: str) -> bool:
    return policy_value.lower() == value.lower()


# Operator -> (compare(policy value, request value), negated).
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
    "Bool": (_bool, False),
}


def conditions_hold(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, ContextValue]) -> bool:
    """Every operator, every key, any value. Condition keys are case-insensitive."""
    lowered = {key.lower(): value for key, value in context.items()}
    for operator, tests in block.items():
        qualifier, _, bare = operator.rpartition(":")
        if qualifier not in _SET_QUALIFIERS:
            raise UnsupportedPolicyError(f"set operator {operator}")
        if_exists = bare.endswith("IfExists")
        name = bare.removesuffix("IfExists")
        if name == "Null" and qualifier:
            raise UnsupportedPolicyError(f"set operator {operator}")
        if name == "Null":  # "true": the key must be absent; "false": it must be present
            for key, expected in tests.items():
                absent = "true" if key.lower() not in lowered else "false"
                if not any(_bool(str(e), absent) for e in _as_list(expected)):
                    return False
            continue
        if name not in _OPERATORS:
            raise UnsupportedPolicyError(f"condition operator {operator}")
        compare, negated = _OPERATORS[name]
        for key, policy_values in tests.items():
            present = key.lower() in lowered
            values = [
                str(v).lower() if isinstance(v, bool) else v for v in _as_list(lowered.get(key.lower(), []))
            ]
            if qualifier:
                if not present and if_exists:
                    continue
                # Each request value on its own: does it match (negated: miss) every policy value?
                each = [any(compare(str(p), v) for p in _as_list(policy_values)) != negated for v in values]
                if not (all(each) if qualifier == "ForAllValues" else any(each)):
                    return False
                continue
            if not present:
                if if_exists or negated:
                    continue
                return False
            matched = any(compare(str(p), v) for p in _as_list(policy_values) for v in values)
            if matched == negated:
                return False
    return True


# "" is a plain (single-valued) operator; the two set operators of IAM's policy grammar.
_SET_QUALIFIERS = ("", "ForAllValues", "ForAnyValue")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


# --- the template ----------------------------------------------------------------------------


# Resource type -> (what Ref returns, {attribute: value}) from (resolver, logical id, properties).
_Namer = Callable[["TemplateResolver", str, Mapping[str, Any]], tuple[str, dict[str, str]]]


def _name(props: Mapping[str, Any], key: str, resolver: TemplateResolver, logical_id: str) -> str:
    """The resource's name property, or the name CloudFormation would generate (stack-id-suffix)."""
    if key in props:
        return str(resolver.resolve(props[key]))
    return f"{resolver.stack_name}-{logical_id}-FAKE1234"


def _arn(resolver: TemplateResolver, service: str, resource: str, *, region: bool = True) -> str:
    where = resolver.region if region else ""
    return f"arn:{resolver.partition}:{service}:{where}:{resolver.account}:{resource}"


def _named_arn(name_property: str, service: str, prefix: str, *, region: bool = True) -> _Namer:
    """A resource whose Ref is its name and whose Arn is `prefix` + that name under `service`."""

    def namer(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        name = _name(p, name_property, r, lid)
        return name, {"Arn": _arn(r, service, f"{prefix}{name}", region=region)}

    return namer


def _log_group(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = _name(p, "LogGroupName", r, lid)
    # Fn::GetAtt Arn of a log group ends in ":*" (CloudFormation's documented return value).
    return name, {"Arn": _arn(r, "logs", f"log-group:{name}:*")}


def _state_machine(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    arn = _arn(r, "states", f"stateMachine:{_name(p, 'StateMachineName', r, lid)}")
    return arn, {"Arn": arn, "Name": arn.rsplit(":", 1)[1]}


def _topic(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    name = _name(p, "TopicName", r, lid)
    arn = _arn(r, "sns", name)
    return arn, {"TopicArn": arn, "TopicName": name}


def _key(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    key_id = f"00000000-0000-4000-8000-{zlib.crc32(lid.encode()):012d}"
    return key_id, {"Arn": _arn(r, "kms", f"key/{key_id}"), "KeyId": key_id}


def _queue(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    # Ref of a queue is its URL; policies name it by Arn.
    name = _name(p, "QueueName", r, lid)
    url = f"https://sqs.{r.region}.amazonaws.com/{r.account}/{name}"
    return url, {"Arn": _arn(r, "sqs", name), "QueueName": name, "QueueUrl": url}


def _dashboard(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    return _name(p, "DashboardName", r, lid), {}


def _sink(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    # Ref and Arn of an OAM sink are both its ARN, "sink/" and a generated id (AWS::Oam::Sink).
    arn = _arn(r, "oam", f"sink/{zlib.crc32(lid.encode()):08x}-0000-4000-8000-000000000000")
    return arn, {"Arn": arn}


def _opaque(r: TemplateResolver, lid: str, p: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    return f"{lid}-FAKE1234", {}


_NAMERS: dict[str, _Namer] = {
    "AWS::IAM::Role": _named_arn("RoleName", "iam", "role/", region=False),
    "AWS::Lambda::Function": _named_arn("FunctionName", "lambda", "function:"),
    "AWS::Logs::LogGroup": _log_group,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::SNS::Topic": _topic,
    "AWS::KMS::Key": _key,
    "AWS::Events::Rule": _named_arn("Name", "events", "rule/"),
    "AWS::CloudWatch::Alarm": _named_arn("AlarmName", "cloudwatch", "alarm:"),
    "AWS::DynamoDB::Table": _named_arn("TableName", "dynamodb", "table/"),
    "AWS::SQS::Queue": _queue,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::Oam::Sink": _sink,
    "AWS::IAM::Policy": _opaque,
    "AWS::SNS::TopicPolicy": _opaque,
    "AWS::SNS::Subscription": _opaque,
    "AWS::SQS::QueuePolicy": _opaque,
    "AWS::Lambda::EventInvokeConfig": _opaque,
}


@dataclass
class TemplateResolver:
    """CloudFormation's intrinsic functions evaluated for one fake account, region and stack."""

    template: Mapping[str, Any]
    account: str = "123456789012"
    region: str = "us-east-1"
    stack_name: str = "HighResMetrics"
    partition: str = "aws"
    parameters: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by what CloudFormation would produce."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self.ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical_id, attribute)
            if name == "Fn::Join":
                separator, items = argument
                return separator.join(str(self.resolve(item)) for item in items)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name.startswith("Fn::"):
                raise UnsupportedPolicyError(f"intrinsic function {name}")
        return {key: self.resolve(item) for key, item in value.items()}

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameters.get(name, f"{name}-VALUE")
        return self._physical(name)[0]

    def get_att(self, logical_id: str, attribute: str) -> str:
        attributes = self._physical(logical_id)[1]
        if attribute not in attributes:
            raise UnsupportedPolicyError(f"Fn::GetAtt {logical_id}.{attribute}")
        return attributes[attribute]

    def _physical(self, logical_id: str) -> tuple[str, dict[str, str]]:
        resource = self.template["Resources"].get(logical_id)
        if resource is None:
            raise KeyError(f"no resource {logical_id} in the template")
        namer = _NAMERS.get(resource["Type"])
        if namer is None:
            raise UnsupportedPolicyError(f"names of {resource['Type']}")
        return namer(self, logical_id, resource.get("Properties", {}))

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, str(text))

    # -- what a path test looks up --

    def resources(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {
            lid: resource.get("Properties", {})
            for lid, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def logical_id_of(self, resource_type: str, physical: str, attribute: str | None = None) -> str:
        """The resource of `resource_type` whose Ref (or `attribute`) resolves to `physical`."""
        for lid in self.resources(resource_type):
            ref, attributes = self._physical(lid)
            if (attributes.get(attribute) if attribute else ref) == physical:
                return lid
        raise KeyError(f"no {resource_type} resolves to {physical}")

    def role_statements(self, role_logical_id: str) -> list[Mapping[str, Any]]:
        """Every identity-policy statement the role holds (inline and AWS::IAM::Policy)."""
        role = self.resources("AWS::IAM::Role")[role_logical_id]
        if role.get("ManagedPolicyArns"):
            raise UnsupportedPolicyError(f"managed policies on {role_logical_id}")
        statements: list[Mapping[str, Any]] = []
        for policy in role.get("Policies", []):
            statements += _as_list(self.resolve(policy["PolicyDocument"])["Statement"])
        for props in self.resources("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in props.get("Roles", []):
                statements += _as_list(self.resolve(props["PolicyDocument"])["Statement"])
        return statements

    def trust_statements(self, role_logical_id: str) -> list[Mapping[str, Any]]:
        role = self.resources("AWS::IAM::Role")[role_logical_id]
        return _as_list(self.resolve(role["AssumeRolePolicyDocument"])["Statement"])

    def queue_policy_statements(self, queue_url: str) -> list[Mapping[str, Any]] | None:
        """The queue's policy (AWS::SQS::QueuePolicy naming its URL), or None when it has none."""
        return self._attached_policy("AWS::SQS::QueuePolicy", "Queues", queue_url, "queue")

    def topic_policy_statements(self, topic_arn: str) -> list[Mapping[str, Any]] | None:
        """The topic's policy, or None when it has none (then SNS's default policy applies)."""
        return self._attached_policy("AWS::SNS::TopicPolicy", "Topics", topic_arn, "topic")

    def _attached_policy(
        self, policy_type: str, targets_key: str, target: str, what: str
    ) -> list[Mapping[str, Any]] | None:
        """The statements of the one policy resource naming `target`. A topic or queue has one
        policy: two such resources on it replace each other in deployment order, which a template
        does not fix, so that is refused."""
        policies = [
            props
            for props in self.resources(policy_type).values()
            if target in self.resolve(props[targets_key])
        ]
        if len(policies) > 1:
            raise UnsupportedPolicyError(f"{len(policies)} {what} policies on {target}: only one applies")
        return _as_list(self.resolve(policies[0]["PolicyDocument"])["Statement"]) if policies else None
