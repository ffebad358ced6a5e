"""Errors a user can act on. The CLI prints their message on one line and exits 1."""


class CxpmError(Exception):
    """An error caused by input or configuration, with a message meant for the user."""
