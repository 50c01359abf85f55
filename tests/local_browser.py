"""Headless Chromium that may talk to this machine only, for the browser tests.

Debian's Chromium (``apt-get install chromium``) is driven by Playwright without
``playwright install``. Every request a page makes to an address other than
127.0.0.1 (or ``localhost``) is aborted in the browser and recorded, so that a
test can fail on it: the course, its website and its classroom must work with
no network.
"""

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
# Chromium's own background traffic (updates, sync, field trials) is refused on
# these machines, many connections at a time; these flags keep it from trying.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def launch(playwright):
    """Debian's Chromium, headless, through a ``sync_playwright()`` object."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


@contextmanager
def chromium(sync_api):
    """Debian's Chromium for a ``with`` block, closed at its end (``sync_api`` is
    ``playwright.sync_api``, imported by the test so that it can skip without it)."""
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def is_local(url):
    """True for this machine's addresses, and for data:, blob: and about: URLs."""
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or parts.hostname in LOCAL_HOSTS


def refuse_outside(context):
    """Abort every request and web socket of ``context`` that would leave this
    machine; returns the list the refused URLs are appended to."""
    outside = []

    def refuse(route):
        outside.append(route.request.url)
        route.abort("blockedbyclient")

    def refuse_socket(socket_route):
        outside.append(socket_route.url)
        socket_route.close()

    context.route(lambda url: not is_local(url), refuse)
    context.route_web_socket(lambda url: not is_local(url), refuse_socket)
    return outside
