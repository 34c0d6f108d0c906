"""``python -m examples.demo._client HOST PORT ORIGIN``: the Pacemaker demo's client process.

The Pacemaker demo's cluster address lives on the lab's own network, which only the lab's hub
namespace reaches, so its client runs there, in a process of its own (``ip netns exec <hub>
python -m examples.demo._client ...``). It is the example's :class:`~examples.virtual_address.
EchoClient` (a request every 0.1 s, a new connection 0.1 s after one breaks), and it reports
what happens as JSON lines on stdout, one object each::

    {"kind": "reply", "time": 12.345, "node": "node2"}
    {"kind": "connected", "time": 12.3, "node": "node2", "failed_attempts": 7}
    {"kind": "lost", "time": 9.1, "node": "node1", "reason": "closed by the server"}

Times are ``time.monotonic() - ORIGIN``: the monotonic clock is one clock for every process of
the machine, whatever its network namespace, so the demo passes its own origin and reads the
times on its own timeline. The process ends when its stdin closes (the demo went away) or on
SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Final

import anyio

from examples.virtual_address import EchoClient

if TYPE_CHECKING:
    from examples.virtual_address import ClientEvent

__all__ = ("main",)

#: How often new replies are written out (each carries the time it was received).
_FLUSH_INTERVAL: Final = 0.02


def _emit(record: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


async def _run(host: str, port: int, origin: float) -> None:
    def clock() -> float:
        return anyio.current_time() - origin  # asyncio's clock is time.monotonic()

    def on_event(event: ClientEvent) -> None:
        _emit(
            {
                "kind": event.kind,
                "time": event.time,
                "node": event.node,
                "reason": event.reason,
                "failed_attempts": event.failed_attempts,
            }
        )

    client = EchoClient(
        host, port, interval=0.1, retry_interval=0.1, clock=clock, on_event=on_event
    )

    async def report_replies() -> None:
        sent = 0
        while True:
            for reply in client.replies[sent:]:
                _emit({"kind": "reply", "time": reply.time, "node": reply.node})
            sent = len(client.replies)
            await anyio.sleep(_FLUSH_INTERVAL)

    async def until_stdin_closes() -> None:
        # A blocking read in a worker thread: returns at EOF, when the demo closed our stdin.
        await anyio.to_thread.run_sync(sys.stdin.buffer.read, abandon_on_cancel=True)

    async with anyio.create_task_group() as tg:
        tg.start_soon(client.run)
        tg.start_soon(report_replies)
        await until_stdin_closes()
        tg.cancel_scope.cancel()


def main(argv: list[str] | None = None) -> int:
    """Run the client until stdin closes; return the exit status (2 for bad arguments)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        host, port, origin = args[0], int(args[1]), float(args[2])
    except (IndexError, ValueError):
        print("usage: python -m examples.demo._client HOST PORT ORIGIN", file=sys.stderr)
        return 2
    # Stopped, or the demo stopped reading: either way, done.
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        anyio.run(_run, host, port, origin, backend="asyncio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
