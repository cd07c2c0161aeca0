"""The streaming XML count (collector_core.xml_counting) against botocore's full parse of moto's own
answers (its namespace, whitespace and members)."""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import InstanceState

from collector_core.clients import client_config, ec2_client
from tests.support.collectors import ACCOUNT, REGION
from tests.unit.test_xml_counting import assert_same


def test_xml_counting_matches_botocore_on_moto_bodies(aws: None) -> None:
    # given moto's own answers (its namespace, whitespace and members), recorded raw
    moto_ec2 = ec2_client(client_config(5))
    ids = [
        i["InstanceId"]
        for i in moto_ec2.run_instances(ImageId="ami-12c6146b", MinCount=6, MaxCount=6)["Instances"]
    ]
    moto_ec2.stop_instances(InstanceIds=ids[:2])
    moto_ec2.terminate_instances(InstanceIds=ids[2:3])
    ec2_backends[ACCOUNT][REGION].get_instance(ids[3])._state = InstanceState("stopping", 64)
    moto_ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")
    recorded: dict[str, bytes] = {}

    def keep(http_response: Any, model: Any, **_: Any) -> None:
        recorded[model.name] = bytes(http_response.content)

    moto_ec2.meta.events.register("after-call.ec2", keep)
    moto_ec2.describe_instance_status(IncludeAllInstances=True)
    moto_ec2.describe_volumes()

    # then the streaming count reads them as botocore does
    assert assert_same("DescribeInstanceStatus", [recorded["DescribeInstanceStatus"]]) == 6
    assert assert_same("DescribeVolumes", [recorded["DescribeVolumes"]]) == 6
