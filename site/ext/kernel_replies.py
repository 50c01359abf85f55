"""Wait for a lecture kernel's messages in short slices, so a lost wake-up costs little.

While myst-nb runs a lecture, nbclient waits for each cell's reply with one call,
``shell_channel.get_msg(timeout=30)``, which is one ``zmq.asyncio`` poll of the
kernel's socket. zmq tells an event loop about new messages through a file
descriptor that signals only edges, and on a busy machine that signal is now and
then lost. The poll then sleeps until its timeout runs out, finds the reply that
had been waiting all along, and the lecture succeeds, 30 s late. In the test suite
this happened in about half the cold builds (one or two lectures each time).

Here every wait is cut into slices of at most ``SLICE`` seconds. A slice that runs
out ends with an ordinary check of the socket, so a lost signal now costs at most
one slice. The deadline is unchanged: a cell that really takes longer than the
timeout still fails the build.

Each message's header carries the time the kernel sent it. A message that had
been waiting when a slice ran out is a lost signal that would have cost the whole
timeout; the build reports how many there were.
"""

from datetime import UTC, datetime
from queue import Empty
from time import monotonic

from jupyter_client.channels import AsyncZMQSocketChannel
from sphinx.util import logging

SLICE = 0.5  # seconds: the longest a lost signal can now delay a lecture

logger = logging.getLogger(__name__)
found_late = []  # how long each message found at the end of a slice had waited, s


async def get_msg_in_slices(self, timeout=None):
    """AsyncZMQSocketChannel.get_msg, waiting at most SLICE seconds at a time."""
    deadline = None if timeout is None else monotonic() + timeout
    while True:
        wait = SLICE if deadline is None else min(SLICE, max(0.0, deadline - monotonic()))
        started = monotonic()
        if await self.socket.poll(int(1000 * wait)):
            msg = await self._recv()
            # a message that was there well before the slice ran out, found only then
            sent = msg["header"].get("date")  # jupyter_client reads it as a datetime
            ran_out = wait > 0 and monotonic() - started >= 0.9 * wait
            if ran_out and isinstance(sent, datetime) and sent.tzinfo is not None:
                waited = (datetime.now(UTC) - sent).total_seconds()
                if waited > wait / 2:
                    found_late.append(waited)
            return msg
        if deadline is not None and monotonic() >= deadline:
            raise Empty


def report(app, exception):
    if found_late:
        logger.info(
            f"kernel_replies: {len(found_late)} kernel message(s) were found only when a "
            f"{SLICE} s wait ran out (lost wake-ups, or a machine too busy to run the build; "
            f"the longest had waited {max(found_late):.2f} s)"
        )


def setup(app):
    AsyncZMQSocketChannel.get_msg = get_msg_in_slices
    app.connect("build-finished", report)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
