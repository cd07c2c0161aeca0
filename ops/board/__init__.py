"""The live board: one cell per watched instance coloured by state, and each cluster's counts.

`tools/board.py` is the command (CloudWatch); `make demo DEMO_ARGS=--board` shows it on the
emulator. `board.sources` reads, `board.view` draws, `board.live` runs the refresh loop.
"""
