"""The surface legacy integrations see: ``/v1/expenses`` routes, models and pagination."""
