"""cxpm.ingest."""
