"""Benchmarks (not tests): `make bench` prints figures as ratios to baselines measured in the same run."""
