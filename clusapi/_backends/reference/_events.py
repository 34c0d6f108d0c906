"""The Event Processor's fan-out: every change event to every port whose filter matches."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import anyio

from clusapi._values import Notification

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import TypeAlias

    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from clusapi._enums import ClusterChange, GroupState, NodeState, ResourceState

    #: What :meth:`EventBus.listen` calls: ``(change, name, object_id, time)``. Plain
    #: arguments, not a Notification: a recorder hears every event, most of which no port
    #: asked for.
    Listener: TypeAlias = Callable[[ClusterChange, str, str | None, float], None]

__all__ = ("EventBus",)


class EventBus:
    """Delivers each change, at the moment it happens, to the ports that asked for it.

    Ports are unbounded memory streams: a change is never dropped or batched, and a slow
    reader only costs memory (the C API's port queues the same way).
    """

    __slots__ = ("_listeners", "_now", "_ports", "emitted")

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._ports: list[tuple[int, MemoryObjectSendStream[Notification]]] = []
        self._listeners: tuple[Listener, ...] = ()
        #: How many changes were emitted (for statistics and benchmarks).
        self.emitted = 0

    def listen(self, listener: Listener) -> None:
        """Call ``listener(change, name, object_id, time)`` for every change, synchronously,
        when it is emitted.

        For recorders (the test environment's timeline): unlike a port, the listener runs
        while the record that changed still holds the new state, so it can read the state,
        owner and node of that moment. It must not raise or emit.
        """
        self._listeners = (*self._listeners, listener)

    def open_port(self, change_filter: ClusterChange) -> MemoryObjectReceiveStream[Notification]:
        send, receive = anyio.create_memory_object_stream[Notification](math.inf)
        self._ports.append((int(change_filter), send))
        return receive

    def emit(
        self,
        change: ClusterChange,
        name: str,
        object_id: str | None = None,
        *,
        state: ResourceState | GroupState | NodeState | None = None,
        owner: str | None = None,
        properties: Iterable[str] = (),
    ) -> None:
        """Tell the listeners and the ports whose filter takes it of one change.

        ``state`` and ``owner`` (for the *_STATE kinds) and ``properties`` (the names written,
        for the *_PROPERTY kinds) are what the event carries (``Notification``): the caller
        passes them as the change left them, so a port read later still says what it was.
        """
        self.emitted += 1
        if self._listeners:
            now = self._now()
            for listener in self._listeners:
                listener(change, name, object_id, now)
        if not self._ports:
            return
        bit = int(change)
        event: Notification | None = None
        dead: list[MemoryObjectSendStream[Notification]] = []
        for mask, send in self._ports:
            if mask & bit:
                if event is None:
                    event = Notification(
                        change,
                        name,
                        object_id,
                        self._now(),
                        state=state,
                        owner=owner,
                        properties=tuple(sorted(properties)),
                    )
                try:
                    send.send_nowait(event)
                except anyio.BrokenResourceError:
                    dead.append(send)  # the reader closed its port
        if dead:
            self._ports = [(m, s) for m, s in self._ports if s not in dead]
            for send in dead:
                send.close()

    def close(self) -> None:
        self._listeners = ()
        for _, send in self._ports:
            send.close()
        self._ports.clear()
