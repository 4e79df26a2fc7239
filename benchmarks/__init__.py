"""Performance benchmarks, run with `make bench` (`python -m benchmarks.run`); see docs/benchmarks.md."""
