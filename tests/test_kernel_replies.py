"""The website's build waits for kernel messages in half-second slices (site/ext/kernel_replies.py).

A channel whose socket answers only after a few polls stands in for the kernel:
the wait must be cut into slices of at most half a second, give up at the
caller's deadline as before, and count a message it found only when a slice
ran out.
"""

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty

import pytest

EXT = Path(__file__).resolve().parents[1] / "site" / "ext"


class Socket:
    """Answers "nothing yet" to the first ``silent`` polls, each after its whole
    timeout, then "a message"; records every timeout it was given (ms)."""

    def __init__(self, silent, at_once=True):
        self.silent, self.at_once, self.asked = silent, at_once, []

    async def poll(self, timeout_ms):
        self.asked.append(timeout_ms)
        if len(self.asked) <= self.silent:
            await asyncio.sleep(timeout_ms / 1000)
            return 0
        if not self.at_once:  # a lost wake-up: found only when the poll times out
            await asyncio.sleep(timeout_ms / 1000)
        return 1


class Channel:
    def __init__(self, socket, sent_ago=0.0, date=None):
        self.socket, self.sent_ago, self.date = socket, sent_ago, date

    async def _recv(self):
        sent = self.date or datetime.now(UTC) - timedelta(seconds=self.sent_ago)
        return {"header": {"date": sent}, "content": {}}


@pytest.fixture
def kernel_replies():
    """The extension, imported when a test runs (it imports Sphinx: a second at
    collection in every worker), with no message counted yet."""
    pytest.importorskip("sphinx")
    if str(EXT) not in sys.path:
        sys.path.insert(0, str(EXT))
    import kernel_replies

    kernel_replies.found_late.clear()
    yield kernel_replies
    kernel_replies.found_late.clear()


def get_msg(kernel_replies, channel, timeout):
    return asyncio.run(kernel_replies.get_msg_in_slices(channel, timeout))


def test_a_long_wait_is_cut_into_half_second_slices(kernel_replies):
    socket = Socket(silent=3)
    msg = get_msg(kernel_replies, Channel(socket), timeout=30)
    assert msg["content"] == {}
    assert socket.asked == [500, 500, 500, 500]
    assert kernel_replies.found_late == []


def test_the_deadline_is_unchanged(kernel_replies):
    socket = Socket(silent=100)
    started = time.monotonic()
    with pytest.raises(Empty):
        get_msg(kernel_replies, Channel(socket), timeout=1.2)
    assert 1.2 <= time.monotonic() - started < 2.0
    assert socket.asked[:2] == [500, 500] and 150 <= socket.asked[2] <= 200
    assert max(socket.asked) <= 500


def test_no_timeout_waits_in_slices_too(kernel_replies):
    socket = Socket(silent=2)
    get_msg(kernel_replies, Channel(socket), timeout=None)
    assert socket.asked == [500, 500, 500]


def test_a_message_found_only_when_a_slice_ran_out_is_counted(kernel_replies):
    socket = Socket(silent=0, at_once=False)
    get_msg(kernel_replies, Channel(socket, sent_ago=0.8), timeout=30)
    assert len(kernel_replies.found_late) == 1
    assert kernel_replies.found_late[0] >= 0.8


def test_a_message_found_at_once_is_not_counted(kernel_replies):
    get_msg(kernel_replies, Channel(Socket(silent=0), sent_ago=0.8), timeout=30)
    assert kernel_replies.found_late == []


def test_a_message_without_a_readable_date_is_returned_and_not_counted(kernel_replies):
    socket = Socket(silent=0, at_once=False)
    msg = get_msg(kernel_replies, Channel(socket, date="2026-12-01T10:00:00"), timeout=30)
    assert msg["header"]["date"] == "2026-12-01T10:00:00"
    assert kernel_replies.found_late == []
