"""Benchmarks (`make bench`): each module has ``run() -> list[dict]`` returning its figures."""
