"""Metric catalog and engine: definitions as data, compiled to Ibis."""
