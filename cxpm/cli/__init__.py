"""cxpm.cli."""
