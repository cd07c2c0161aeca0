"""Reads what the pipeline is made of from a synthesized CloudFormation template.

The demo, the end-to-end tests and the cost model run what `cdk synth` produced, not a second
hand-kept copy: the sampler ASL, each function's handler, memory and environment, the rule's
schedule and input, and every alarm's definition all come from here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.alarm_catalogue import ALARM_ID_METADATA, AlarmSpec, Comparison, Missing
from stacks.constructs.snapshot_notifications_construct import DETAIL_TYPE as SNAPSHOT_NOTIFICATION

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ASSEMBLY = REPO_ROOT / "cdk.out"


class TemplateError(RuntimeError):
    """The template lacks something the pipeline needs; the message says what."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    runtime: str
    architecture: str
    memory_mb: int
    timeout_seconds: int
    environment: dict[str, str]


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    definition: str  # with ${...} placeholders still in it
    substitutions: dict[str, str]  # placeholder -> logical id of the function it names
    workflow_type: str

    def resolved(self, arns: dict[str, str]) -> str:
        """The definition with each placeholder replaced by the ARN of the function it names."""
        missing = set(self.substitutions.values()) - set(arns)
        if missing:
            raise TemplateError(f"no ARN given for {', '.join(sorted(missing))}")
        return re.sub(
            r"\$\{([A-Za-z0-9]+)\}",
            lambda m: (
                arns[self.substitutions[m.group(1)]] if m.group(1) in self.substitutions else m.group(0)
            ),
            self.definition,
        )


@dataclass(frozen=True)
class InsightsQuery:
    """The Metrics Insights query shape the fleet alarms use:
    `SELECT FUNC(Metric) FROM SCHEMA("namespace", Dim, ...) [GROUP BY Dim, ...]`; a monitoring
    account's also group by the source account's label, `AWS.AccountId`."""

    function: str
    metric_name: str
    namespace: str
    schema: tuple[str, ...]
    group_by: tuple[str, ...]

    @property
    def statistic(self) -> str:
        return _STATISTIC_OF[self.function]


_STATISTIC_OF = {"MIN": "Minimum", "MAX": "Maximum", "AVG": "Average", "SUM": "Sum", "COUNT": "SampleCount"}
_QUERY = re.compile(
    r'^SELECT\s+(?P<function>MIN|MAX|AVG|SUM|COUNT)\((?P<metric>\w+)\)\s+FROM\s+SCHEMA\(\s*"(?P<ns>[^"]+)"'
    r"(?P<schema>(\s*,\s*\w+)*)\s*\)(\s+GROUP\s+BY\s+(?P<group>[\w.]+(\s*,\s*[\w.]+)*))?\s*$",
    re.IGNORECASE,
)


def parse_query(query: str) -> InsightsQuery:
    """The parts of a fleet alarm's query; any other shape is refused rather than half-understood."""
    match = _QUERY.match(query.strip())
    if not match:
        raise TemplateError(f"Metrics Insights query not understood here: {query}")
    schema = tuple(d.strip() for d in match["schema"].split(",") if d.strip())
    group = tuple(d.strip() for d in (match["group"] or "").split(",") if d.strip())
    return InsightsQuery(match["function"].upper(), match["metric"], match["ns"], schema, group)


@dataclass(frozen=True)
class Synthesized:
    """One stack's template, parsed into the parts the pipeline runs."""

    template: dict[str, Any]

    @classmethod
    def load(cls, assembly: Path = DEFAULT_ASSEMBLY, stack_name: str | None = None) -> Synthesized:
        templates = sorted(assembly.glob("*.template.json"))
        if stack_name:
            templates = [t for t in templates if t.name == f"{stack_name}.template.json"]
        if not templates:
            raise TemplateError(f"no synthesized template in {assembly}: run `make synth` first")
        if len(templates) > 1:
            names = ", ".join(t.name.removesuffix(".template.json") for t in templates)
            raise TemplateError(f"{assembly} holds several stacks ({names}): name the one to read")
        return cls(json.loads(templates[0].read_text()))

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            lid: res["Properties"]
            for lid, res in self.template["Resources"].items()
            if res["Type"] == resource_type
        }

    @property
    def state_machine(self) -> StateMachineSpec:
        ((logical_id, props),) = self.resources("AWS::StepFunctions::StateMachine").items()
        definition = props["DefinitionString"]
        if not isinstance(definition, str):
            raise TemplateError("the state machine definition is not inline text")
        substitutions = {
            key: _get_att_id(value) for key, value in props.get("DefinitionSubstitutions", {}).items()
        }
        return StateMachineSpec(
            logical_id, definition, substitutions, props.get("StateMachineType", "STANDARD")
        )

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        return {
            lid: FunctionSpec(
                logical_id=lid,
                handler=props["Handler"],
                runtime=props["Runtime"],
                architecture=props.get("Architectures", ["x86_64"])[0],
                memory_mb=int(props.get("MemorySize", 128)),
                timeout_seconds=int(props.get("Timeout", 3)),
                environment=dict(props.get("Environment", {}).get("Variables", {})),
            )
            for lid, props in self.resources("AWS::Lambda::Function").items()
        }

    def sampler_rule_id(self) -> str:
        """The rule that starts the sampler: the one whose target is the state machine (events mode
        adds rules for state events and the reconcile schedule, which target functions)."""
        machines = set(self.resources("AWS::StepFunctions::StateMachine"))
        (rule_id,) = [
            lid
            for lid, props in self.resources("AWS::Events::Rule").items()
            if any(target.get("Arn", {}).get("Ref") in machines for target in props.get("Targets", []))
        ]
        return rule_id

    def event_rules(self) -> dict[str, dict[str, Any]]:
        """Events mode's rules (state events and the reconcile schedule): every rule but the
        sampler's and the snapshot notifications'."""
        sampler = self.sampler_rule_id()
        return {
            lid: props
            for lid, props in self.resources("AWS::Events::Rule").items()
            if lid != sampler and not _is_snapshot_rule(props)
        }

    @property
    def schedule_rule(self) -> dict[str, Any]:
        """The sampler rule's schedule expression, state, and the input its target receives (parsed)."""
        props = self.resources("AWS::Events::Rule")[self.sampler_rule_id()]
        (target,) = props["Targets"]
        return {
            "schedule": props["ScheduleExpression"],
            "state": props.get("State", "ENABLED"),
            "input_template": target.get("InputTransformer", {}).get("InputTemplate"),
            "input_paths": target.get("InputTransformer", {}).get("InputPathsMap", {}),
        }

    def rule_input(self, event_time: str) -> dict[str, Any]:
        """The input the rule gives the state machine for a scheduled event at `event_time`."""
        rule = self.schedule_rule
        text = rule["input_template"]
        for name, path in rule["input_paths"].items():
            if path != "$.time":
                raise TemplateError(f"rule input uses {path}; only $.time is simulated")
            # EventBridge inserts a string field as a JSON string, quoted or not in the template.
            text = text.replace(f'"<{name}>"', json.dumps(event_time)).replace(
                f"<{name}>", json.dumps(event_time)
            )
        parsed: dict[str, Any] = json.loads(text)
        return parsed

    @property
    def snapshot_rule(self) -> dict[str, Any] | None:
        """The EBS snapshot notification rule: its pattern and its one target's input transformer."""
        rules = [p for p in self.resources("AWS::Events::Rule").values() if _is_snapshot_rule(p)]
        if not rules:
            return None
        (props,) = rules
        (target,) = props["Targets"]
        return {
            "pattern": props["EventPattern"],
            "input_template": target["InputTransformer"]["InputTemplate"],
            "input_paths": target["InputTransformer"]["InputPathsMap"],
            "target": target["Arn"],
        }

    @property
    def alarms(self) -> list[AlarmSpec]:
        """Every alarm, as the catalogue's record (its id from the resource's metadata); a fleet
        alarm's namespace, metric and statistic are read from its Metrics Insights query."""
        return [
            _alarm(logical_id, resource)
            for logical_id, resource in self.template.get("Resources", {}).items()
            if resource.get("Type") == "AWS::CloudWatch::Alarm"
        ]


def _is_snapshot_rule(props: dict[str, Any]) -> bool:
    return SNAPSHOT_NOTIFICATION in props.get("EventPattern", {}).get("detail-type", [])


def _alarm(logical_id: str, resource: dict[str, Any]) -> AlarmSpec:
    props = resource["Properties"]
    summary, runbook = AlarmSpec.split_description(props.get("AlarmDescription", ""))
    if "Metrics" in props:
        (returned,) = [m for m in props["Metrics"] if m.get("ReturnData", True)]
        query = parse_query(returned["Expression"])
        watched: dict[str, Any] = {
            "namespace": query.namespace,
            "metric_name": query.metric_name,
            "dimensions": {},
            "statistic": query.statistic,
            "period": int(returned["Period"]),
            "query": returned["Expression"],
        }
    else:
        watched = {
            "namespace": props["Namespace"],
            "metric_name": props["MetricName"],
            "dimensions": {d["Name"]: d["Value"] for d in props.get("Dimensions", [])},
            "statistic": props.get("Statistic") or props.get("ExtendedStatistic", ""),
            "period": int(props["Period"]),
        }
    return AlarmSpec(
        alarm_id=resource.get("Metadata", {}).get(ALARM_ID_METADATA, logical_id),
        name=props["AlarmName"],
        comparison=Comparison(props["ComparisonOperator"]),
        threshold=float(props["Threshold"]),
        evaluation_periods=int(props["EvaluationPeriods"]),
        datapoints_to_alarm=int(props.get("DatapointsToAlarm", props["EvaluationPeriods"])),
        missing=Missing(props.get("TreatMissingData", Missing.MISSING)),
        summary=summary,
        runbook=runbook,
        **watched,
    )


def _get_att_id(value: Any) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise TemplateError(f"definition substitution {value!r} is not a function ARN reference")
