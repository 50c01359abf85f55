"""Clients for a JupyterHub and its users' servers, as a browser-less user has them.

Used by test_classroom.py: a user logs in through the hub's login form, gets an
API token for their own server, and talks to that server's REST API and to
terminals in it (the way JupyterLab's Terminal opens one).
"""

import json
import re
import secrets
import time
from urllib.parse import urlsplit

import requests
import websocket


class HubUser:
    """A user logged in through the hub's login form (``/hub/login``, with its
    XSRF token, as a browser posts it), holding an API token for their server."""

    def __init__(self, url, name, password):
        self.url, self.name = url, name
        self.server = f"{url}/user/{name}"
        form = requests.Session()
        page = form.get(f"{url}/hub/login", timeout=30).text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        login = form.post(
            f"{url}/hub/login",
            data={"username": name, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=30,
        )
        assert login.status_code == 302, f"{name} could not log in ({login.status_code})"
        # a logged-in session may ask the hub for a token of its own user
        token = form.post(
            f"{url}/hub/api/users/{name}/tokens",
            json={"note": "test_classroom", "expires_in": 3600},
            headers={"X-XSRFToken": form.cookies["_xsrf"]},
            timeout=30,
        )
        assert token.status_code == 201, token.text
        self.token = token.json()["token"]
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"token {self.token}"

    def start_server(self):
        """Ask the hub to start the user's server (it answers before it is ready)."""
        response = self.api.post(f"{self.url}/hub/api/users/{self.name}/server", timeout=60)
        assert response.status_code in (201, 202), response.text

    def wait_for_server(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.api.get(f"{self.url}/hub/api/users/{self.name}", timeout=30).json()
            if user["servers"].get("", {}).get("ready"):
                return
            time.sleep(0.3)
        raise AssertionError(f"{self.name}'s server was not ready after {timeout} s")

    def assignments(self, action, **data):
        """POST to nbgrader's assignment-list API in the user's server, what the
        Assignments panel's buttons do (fetch, submit, fetch_feedback); returns
        the assignments as the panel lists them."""
        response = self.api.post(f"{self.server}/assignments/{action}", json=data, timeout=120)
        assert response.status_code == 200, (action, response.status_code, response.text)
        answer = response.json()
        assert answer["success"], (action, answer)
        return answer["value"]

    def page_config(self):
        """The settings JupyterLab's page gives the browser (disabled extensions...)."""
        page = self.api.get(f"{self.server}/lab", timeout=30).text
        found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
        return json.loads(found.group(1))


# colours, cursor moves, window titles and carriage returns in a terminal's output
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


class Terminal:
    """A terminal in a user's server: commands run as that user, in bash, with the
    server's environment, exactly as typed in JupyterLab's Terminal."""

    def __init__(self, user, timeout):
        self.user, self.timeout = user, timeout
        created = user.api.post(f"{user.server}/api/terminals", timeout=30)
        assert created.status_code == 200, created.text
        self.name = created.json()["name"]
        self.socket = websocket.create_connection(
            f"ws://{urlsplit(user.url).netloc}/user/{user.name}/terminals/websocket/{self.name}",
            header=[f"Authorization: token {user.token}"],
            timeout=timeout,
        )

    def run(self, command):
        """Type ``command``; returns ``(exit status, what the terminal showed)``."""
        marker = secrets.token_hex(4)
        # the line as typed shows "$?"; only the output has the status as digits
        self.socket.send(json.dumps(["stdin", f'{command}; echo "{marker}-status-$?"\r']))
        shown, deadline = "", time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self.socket.settimeout(max(deadline - time.monotonic(), 0.1))
            try:
                kind, *content = json.loads(self.socket.recv())
            except websocket.WebSocketTimeoutException:
                break
            if kind == "stdout":
                shown += content[0]
                if found := re.search(rf"{marker}-status-(\d+)", shown):
                    return int(found.group(1)), ANSI.sub("", shown[: found.start()])
        raise AssertionError(f"{command!r} did not end in {self.timeout} s:\n{shown[-3000:]}")

    def close(self):
        self.socket.close()
        self.user.api.delete(f"{self.user.server}/api/terminals/{self.name}", timeout=30)
