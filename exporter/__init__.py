"""Prometheus exporter for Huawei Cloud SWR."""

__version__ = "0.1.0"
