"""Resume a failed AWS Step Functions execution from the state where it failed.

Usage: python tools/gotostate.py --failed-execution-arn ARN [options]   (--help lists them)

The documented entry point; the tool itself is the `gotostate` package (see gotostate/cli.py
and docs/GOTOSTATE.md).
"""

import sys

from ops.gotostate.cli import main

if __name__ == "__main__":
    sys.exit(main())
