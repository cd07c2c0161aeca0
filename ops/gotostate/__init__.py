"""gotostate: resume a failed Step Functions execution from the state where it failed.

A standalone operator's tool (it imports nothing of the pipeline): `history` finds the resume
point in an execution's history, `rewrite` builds the definition with a GoToState Choice in front,
`resume` plans and applies a resume against the Step Functions API, `cli` is the command
(`python tools/gotostate.py`, or the `gotostate` console script).
"""
