"""gotostate: resume a failed Step Functions execution from the state where it failed.

A standalone operator's tool (it imports nothing of the pipeline): `execution` reads the failed
execution (its ARN, its whole history, whether it can be redriven), `history` attributes every
event to a top-level state, `resume_point` says where to resume and with what input,
`rewrite` builds the definition with a GoToState Choice in front, `start_input` the resumed run's
input, `resume` plans (reads and validates only), `apply` creates the machine and starts the run,
`cli` is the command (`python tools/gotostate.py`, or the `gotostate` console script).
"""
