"""The synthesized template run off AWS: the embedded AWS (moto with its gaps filled, in
`local.emulator`), alarm evaluation, and `make demo`. The synth and template reader it runs are in
`synthesis/`."""
