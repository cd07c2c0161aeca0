"""What the tests share, one module per subject: fake AWS and collector inputs (collectors), real AWS
response and event material (aws_responses, state_events), synthesized stacks (stacks), the IAM
policy evaluator (policy_evaluator), and the doctor's and gotostate's worlds (doctor, gotostate).
The data they read lives in tests/fixtures/, each folder with its provenance."""
