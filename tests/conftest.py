"""Settings for the whole suite."""

from hypothesis import settings

# Hypothesis' default 200 ms deadline per example is a wall-clock limit: on a loaded 2-core CI machine
# it fails tests that are correct. Speed is measured in benchmarks/, never asserted in a test.
settings.register_profile("swr-exporter", deadline=None)
settings.load_profile("swr-exporter")
