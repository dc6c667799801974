"""Pleo's legacy Expenses API as data: its models, its query and its PUT bodies (no I/O)."""

# The public names live in the modules (models, query, updates), as in Starlette.
__all__: list[str] = []
