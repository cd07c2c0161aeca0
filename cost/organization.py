"""The bill of an organization of N member accounts in R regions, and one member account's share of it.

(a) a member account in one region: its template's pipeline, metrics and alarms, priced as a
    single-account stack is (cost.model), plus its OAM link (free);
(b) the monitoring account in one region: its dashboard, the central topic's key, and the Metrics
    Insights alarms, whose queries analyze every member's clusters (N x clusters metrics each);
    the metrics it reads through its sink cost it nothing more (cost.pricing.OAM_SHARED_METRIC);
(c) the organization: N x R x (a) + the R monitoring stacks (b);
(d) all in per member account: (c) / N, which covers the account's R regions. Set against the
    single-account stack (one account, one region), the like-for-like figure is (c) / (N x R).

The management account is left out: StackSets never deploy to it, and what it runs (today's
single-account stack, if deployed) is priced by `python -m cost` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector_core.insights import MAX_SERIES
from cost import pricing
from cost.account_items import alarm_item, dashboard_and_key_items
from cost.items import DAYS_PER_MONTH, FIXED, Estimate, Item, Options
from cost.model import estimate
from cost.operations import query_alarm_item
from cost.org_templates import OrganizationTemplates
from synthesis.synthesized import Synthesized


def oam_item(name: str, accounts: int, detail: str) -> Item:
    return Item(name, FIXED, accounts, "links", accounts * pricing.OAM_SHARED_METRIC.usd, detail)


def member_estimate(member: Synthesized, options: Options) -> Estimate:
    """(a): one member account in one region."""
    ours = estimate(member, options)
    ours.label = "member account, one region"
    ours.items.append(
        oam_item("OAM link (metric sharing)", 1, "metrics shared with the monitoring account: free")
    )
    return ours


def monitoring_estimate(monitoring: Synthesized, options: Options, member_accounts: int) -> Estimate:
    """(b): the monitoring account in one region, watching `member_accounts` members."""
    analyzed = member_accounts * options.clusters
    what = f"{member_accounts} accounts x {options.clusters} clusters"
    if analyzed > MAX_SERIES:
        what += f" (a query returns at most {MAX_SERIES} series: an upper bound)"
    items = [alarm_item(monitoring)]
    query = query_alarm_item(monitoring, analyzed, what)
    if query is not None:
        items.append(query)
    items += dashboard_and_key_items(monitoring)
    items.append(
        oam_item(
            "OAM sink (shared metrics)",
            member_accounts,
            "the members' metrics are read where they are, billed once, in the member: no charge here",
        )
    )
    items.append(
        Item("SNS alarm notifications", FIXED, 0, "publishes", 0.0, "a handful a month: under $0.01")
    )
    return Estimate(
        "monitoring account, one region",
        items,
        {"member_accounts": member_accounts, "analyzed_metrics_per_query_alarm": analyzed},
    )


@dataclass
class OrganizationEstimate:
    member_accounts: int
    member: Estimate
    monitoring: dict[str, Estimate]  # region -> (b)
    single: Estimate
    stand_in: bool

    @property
    def regions(self) -> list[str]:
        return list(self.monitoring)

    def organization_usd_per_month(self) -> float:
        """(c) = N x R x (a) + R x (b)."""
        members = self.member_accounts * len(self.regions) * self.member.total_usd_per_day
        return (members + sum(m.total_usd_per_day for m in self.monitoring.values())) * DAYS_PER_MONTH

    def report(self) -> dict[str, Any]:
        """The JSON document."""
        n, r = self.member_accounts, len(self.regions)
        total = self.organization_usd_per_month()
        per_account_region = total / (n * r)
        single = self.single.total_usd_per_day * DAYS_PER_MONTH
        return {
            "member_accounts": n,
            "regions": self.regions,
            "stand_in_organization": self.stand_in,
            "member_account_per_region": self.member.as_dict(),
            "monitoring_account_per_region": {k: v.as_dict() for k, v in self.monitoring.items()},
            "member_account_per_region_usd_per_month": round(
                self.member.total_usd_per_day * DAYS_PER_MONTH, 4
            ),
            "monitoring_account_usd_per_month": round(
                sum(m.total_usd_per_day for m in self.monitoring.values()) * DAYS_PER_MONTH, 4
            ),
            "organization_usd_per_month": round(total, 4),
            "all_in_usd_per_member_account_per_month": round(total / n, 4),
            "all_in_usd_per_member_account_region_per_month": round(per_account_region, 4),
            "single_account_all_in_usd_per_month": round(single, 4),
            "ratio_member_account_region_to_single_account": round(per_account_region / single, 4),
            "single_account": self.single.as_dict(),
        }


def estimate_organization(
    templates: OrganizationTemplates, options: Options, member_accounts: int
) -> OrganizationEstimate:
    single = estimate(templates.single, options)
    single.label = "single-account stack, one region (for comparison)"
    return OrganizationEstimate(
        member_accounts,
        member_estimate(templates.member, options),
        {r: monitoring_estimate(m, options, member_accounts) for r, m in templates.monitoring.items()},
        single,
        templates.stand_in,
    )


def format_summary(data: dict[str, Any]) -> str:
    """The organization's figures under the itemized estimates."""
    n, r = data["member_accounts"], len(data["regions"])
    note = " (a stand-in: the config has no organization block)" if data["stand_in_organization"] else ""
    rows = [
        ("member account, one region (a)", data["member_account_per_region_usd_per_month"]),
        (f"monitoring account, {r} region(s) (R x b)", data["monitoring_account_usd_per_month"]),
        ("organization (c = N x R x a + R x b)", data["organization_usd_per_month"]),
        (
            f"all in per member account, {r} region(s) (c / N)",
            data["all_in_usd_per_member_account_per_month"],
        ),
        ("all in per member account and region", data["all_in_usd_per_member_account_region_per_month"]),
        ("single-account stack, one region", data["single_account_all_in_usd_per_month"]),
    ]
    lines = [f"organization: {n} member accounts x {r} regions ({', '.join(data['regions'])}){note}"]
    lines += [f"  {label:<52} ${usd:>10,.2f}/month" for label, usd in rows]
    lines.append(
        f"  a member account's region costs {data['ratio_member_account_region_to_single_account']:.0%} "
        "of a single-account stack, its share of the monitoring account included"
    )
    return "\n".join(lines)
