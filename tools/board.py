"""The live board: python tools/board.py (--help lists the options)

A thin entry point; the tool is ops/board (see ops/board/cli.py).
"""

import sys

from ops.board.cli import main

if __name__ == "__main__":
    sys.exit(main())
