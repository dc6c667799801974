"""Logging set-up, request ids and redaction."""

# The public names live in the modules, as in Starlette.
__all__: list[str] = []
