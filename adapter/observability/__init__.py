"""What operators see: logging set-up and redaction, request ids and the access line, the
audit trail, and the Prometheus series."""

# The public names live in the modules, as in Starlette.
__all__: list[str] = []
