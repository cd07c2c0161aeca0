"""`python -m cost`: the cost estimate (see cost/cli.py)."""

import sys

from cost.cli import main

sys.exit(main())
