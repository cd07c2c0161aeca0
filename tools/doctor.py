"""Is a deployed highres-metrics stack working? python tools/doctor.py --stack NAME [--json]
(for an organization: --stack-set NAME, or --monitoring from the monitoring account)

A thin entry point; the tool is ops/doctor (see ops/doctor/cli.py).
"""

import sys

from ops.doctor.cli import main

if __name__ == "__main__":
    sys.exit(main())
