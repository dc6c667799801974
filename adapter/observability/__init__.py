"""Request ids, logging set-up and redaction."""
