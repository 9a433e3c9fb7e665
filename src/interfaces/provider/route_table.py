"""The rules of the provider's pages, as registering their blueprints makes them:
the app registers these and imports a module with its first request
(docs/decisions/0440-route-modules-on-first-use.md). Written by scripts/route_table.py;
tests/unit/test_route_table.py checks it against the modules.
"""

from interfaces.shared.lazy_views import TableRow

PAGES: tuple[TableRow, ...] = (
    (
        "interfaces.provider.pages",
        (
            ("authorize_posted", "/oauth/authorize", "oauth_pages.authorize_posted", ("POST",), {}),
            ("authorize", "/oauth/authorize", "oauth_pages.authorize", ("GET",), {}),
            ("consent", "/oauth/authorize/consent", "oauth_pages.consent", ("POST",), {}),
            ("logout", "/oauth/logout", "oauth_pages.logout", ("GET", "POST"), {}),
        ),
    ),
    (
        "interfaces.provider.device_page",
        (
            ("device", "/device", "oauth_device.device", ("GET",), {}),
            ("answer", "/device", "oauth_device.answer", ("POST",), {}),
        ),
    ),
)
