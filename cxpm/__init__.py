"""cxpm: open-source CX operations performance management."""

__version__ = "0.1.0"
