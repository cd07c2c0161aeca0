"""The doctor: is a deployed highres-metrics stack working? Read-only checks, one finding each.

For an organization, `stack_set` checks the StackSet's rollout from the management account and
`monitoring` the members' samples from the monitoring account.

`tools/doctor.py` is the command; `doctor.checks.diagnose` does the work with clients handed in.
"""
