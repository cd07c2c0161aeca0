"""The EC2 parsing benchmark's machinery: every approach reads the same calls and bytes and counts
what the full botocore parse counts, on moto's bodies and AWS's. (Its budget rows: tests/unit.)"""

from __future__ import annotations

from bench import ec2_parsing


def test_ec2_parsing_approaches_count_alike_on_moto_and_aws_bodies() -> None:
    # given 4 recorded instances (and their volumes), served as 8 and as AWS's recorded bodies
    for recorded, base in ((ec2_parsing.record_moto(4), 4), (ec2_parsing.record_aws(4), 4)):
        # when each approach runs one sample
        (row,) = ec2_parsing.measure(recorded, [8], samples=1, base=base)

        # then calls and bytes are the same for all, and so are the counts
        variants = row["variants"]
        assert set(variants) == set(ec2_parsing.VARIANTS)
        assert len({(v["calls"], v["kib"]) for v in variants.values()}) == 1
        assert all(v["counts_identical"] for v in variants.values())
        before = variants[ec2_parsing.VARIANTS[0]]["counts"]
        assert sum(value for key, value in before.items() if key.startswith("InstanceCount")) == 8
        assert sum(value for key, value in before.items() if key.startswith("VolumeCount")) == 8
