"""cxpm.demo."""
