"""cxpm.store."""
