"""The doctor: is a deployed highres-metrics stack working? Read-only checks, one finding each.

`tools/doctor.py` is the command; `doctor.checks.diagnose` does the work with clients handed in.
"""
