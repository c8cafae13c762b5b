"""Reproducible performance measurements of swr-exporter; ``python -m benchmarks --help``.

The exporter, the baselines and the scrapers each run in a process of their own, so that peak memory is
the exporter's alone and no measurement shares a GIL with what it measures. The simulated SWR API runs
in the benchmark's own process, where it can count the requests it receives.
"""
