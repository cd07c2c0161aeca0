"""The embedded AWS: moto, with the synthesized stack deployed into it and Lambda running our code.

Used by `make demo`, the end-to-end tests and the sampling-accuracy benchmark. Everything it
deploys comes from the synthesized template (`synthesis.synthesized`). One module per job:

- `moto_patches`: moto's gaps filled (JSONata, Lambda routed to our handlers, Wait timestamps,
  DescribeVolumeStatus), each said in its docstring;
- `lambda_runtime`: a handler run per invocation with its environment, its prints captured by the
  stdout router;
- `emf_metrics`: EMF log lines turned into metrics, as CloudWatch Logs does;
- `faults`: one operation failing for chosen invocations, inside moto's response layer;
- `deploy`: the template's functions, state machine, alarms and state table created in an account,
  and an organization's monitoring template (its topic, key and query alarms);
- `event_bus`: state events delivered to the event function, and the snapshot rule's pattern
  matcher and input transformer (moto's EventBridge neither fires nor matches);
- `metrics_reader`: the one-second metrics read back;
- `account`: what the emulator keeps per account;
- `embedded_aws`: `EmbeddedAws`, the thin front that wires them.
"""

from local.emulator.account import ACCOUNT, REGION, EmulatedAccount
from local.emulator.deploy import EVENT_HANDLER, RECONCILE_HANDLER, Deployment, MonitoringDeployment
from local.emulator.embedded_aws import MOTO_CONFIG, EmbeddedAws
from local.emulator.emf_metrics import publish_emf_lines
from local.emulator.event_bus import matches, transform
from local.emulator.lambda_runtime import Invocation
from local.emulator.metrics_reader import read_metrics

__all__ = [
    "ACCOUNT",
    "EVENT_HANDLER",
    "MOTO_CONFIG",
    "RECONCILE_HANDLER",
    "REGION",
    "Deployment",
    "EmbeddedAws",
    "EmulatedAccount",
    "Invocation",
    "MonitoringDeployment",
    "matches",
    "publish_emf_lines",
    "read_metrics",
    "transform",
]
