"""The cost model: what the synthesized template runs per day, priced from AWS's public prices.

`make cost` (`python -m cost`) prints the estimate next to the original design's."""
