"""cxpm.metrics."""
