"""agora's benchmarks: a real server, a separate load process, baselines measured in the same run.

`python -m bench.run` (or `make bench`) runs them all; see docs/bench.md.
"""
