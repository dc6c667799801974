"""Legacy routes passed through to Pleo's legacy API: the client, the route table, the endpoint.

Sits below :mod:`adapter.web`: the web layer builds its routes from :data:`LEGACY_ROUTES`,
serving the ``translated`` ones itself and the ``passthrough`` ones with
:func:`passthrough_endpoint`.
"""

from adapter.passthrough.client import LegacyAnswer, LegacyApiClient, build_legacy_http_client
from adapter.passthrough.routes import passthrough_endpoint
from adapter.passthrough.table import LEGACY_PREFIX, LEGACY_ROUTES, LegacyRoute, routes_by_handling

__all__ = [
    "LEGACY_PREFIX",
    "LEGACY_ROUTES",
    "LegacyAnswer",
    "LegacyApiClient",
    "LegacyRoute",
    "build_legacy_http_client",
    "passthrough_endpoint",
    "routes_by_handling",
]
