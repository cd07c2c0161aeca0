"""Everything that runs the synthesized template off AWS: the template reader, the one in-process
synth, the embedded AWS (moto with its gaps filled), alarm evaluation, and `make demo`."""
