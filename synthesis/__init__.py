"""The synthesized app, read and run without AWS and without the emulator: the one in-process
synth, the template reader, the toolchain's Node, `make synth`'s summary, and a function's handler
run in this process as Lambda would. app.py, cost/, bench/ and local/ all use it."""
