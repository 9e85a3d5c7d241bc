"""A minimal ``torch.autograd.profiler``: ``profile`` and ``record_function`` time labelled regions with
``time.perf_counter``, and ``key_averages().table(sort_by=...)`` prints them in torch's columns.

Only the regions you label with ``record_function`` are timed (wall-clock, on the Python side): pygrad's
C++ ops are not traced, so there are no per-op rows (no ``aten::mul``), no CUDA/memory/shape columns, and
torch's keyword arguments other than ``enabled`` are accepted and ignored.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any, Callable, TypeVar

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]

_F = TypeVar("_F", bound=Callable[..., Any])

_lock = threading.Lock()
_active: list[profile] = []  # the profilers now recording, outermost first
_local = threading.local()  # per thread: the record_function regions now open (for self times)


class FunctionEvent:
    """One timed region: name, start and end in microseconds, and the time spent in nested regions."""

    def __init__(self, name: str, start_us: float, end_us: float, thread: int) -> None:
        self.name = name
        self.key = name
        self.start_us = start_us
        self.end_us = end_us
        self.thread = thread
        self.children_us = 0.0

    @property
    def cpu_time_total(self) -> float:
        """Wall-clock microseconds from entering to leaving the region."""
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        """cpu_time_total less the time spent in regions nested inside it."""
        return self.cpu_time_total - self.children_us

    def __repr__(self) -> str:
        return f"<FunctionEvent name={self.name!r} cpu_time_total={self.cpu_time_total:.3f}us>"


class FunctionEventAvg:
    """The events sharing one name: count, total and self times (microseconds), average per call."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, event: FunctionEvent) -> None:
        """Counts one more call of this region."""
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total

    @property
    def cpu_time(self) -> float:
        """Average microseconds per call."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key!r} count={self.count} "
            f"cpu_time_total={self.cpu_time_total:.3f}us>"
        )


def _format_time(us: float) -> str:
    """torch's units: microseconds below 1 ms, milliseconds below 1 s, else seconds."""
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):  # of FunctionEvent or FunctionEventAvg
    """A list of events with torch's ``table`` and ``self_cpu_time_total``."""

    @property
    def self_cpu_time_total(self) -> float:
        """The self times added up: the time spent in all recorded regions, counted once."""
        return sum(e.self_cpu_time_total for e in self)

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_name_column_width: int = 55,
        header: str | None = None,
        **kwargs: Any,
    ) -> str:
        """A text table with torch's columns: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg,
        # of Calls; rows sorted by the attribute ``sort_by`` names, largest first (e.g. "cpu_time_total",
        "self_cpu_time_total", "cpu_time", "count")."""
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit > 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total
        name_width = max([len("Name"), *(len(e.key) for e in rows)])
        name_width = min(name_width, max_name_column_width) + 4
        headers = [
            "Self CPU %",
            "Self CPU",
            "CPU total %",
            "CPU total",
            "CPU time avg",
            "# of Calls",
        ]
        width = 12
        line = "-" * name_width + "  " + "  ".join("-" * width for _ in headers) + "  "

        def row(cells: list[str]) -> str:
            name = cells[0]
            if len(name) > name_width - 4:
                name = name[: name_width - 7] + "..."
            return name.rjust(name_width) + "  " + "".join(c.rjust(width) + "  " for c in cells[1:])

        def percent(us: float) -> str:
            return f"{100.0 * us / total:.2f}%" if total > 0 else "0.00%"

        out = []
        if header is not None:
            out += ["=" * len(line), header]
        out += [line, row(["Name", *headers]), line]
        for e in rows:
            count = e.count if isinstance(e, FunctionEventAvg) else 1
            avg = e.cpu_time_total / count if count else 0.0
            out.append(
                row(
                    [
                        e.key,
                        percent(e.self_cpu_time_total),
                        _format_time(e.self_cpu_time_total),
                        percent(e.cpu_time_total),
                        _format_time(e.cpu_time_total),
                        _format_time(avg),
                        str(count),
                    ]
                )
            )
        out += [line, f"Self CPU time total: {_format_time(total)}", ""]
        return "\n".join(out)

    def key_averages(self) -> EventList:
        """One FunctionEventAvg per region name, in order of first appearance."""
        averages: dict[str, FunctionEventAvg] = {}
        for e in self:
            averages.setdefault(e.key, FunctionEventAvg(e.key)).add(e)
        return EventList(averages.values())


class profile:
    """Records the ``record_function`` regions entered (on any thread) while it is active.

    Args:
        enabled: False makes it record nothing.
        **kwargs: torch's other options (use_cuda, record_shapes, profile_memory, with_stack, ...): accepted
            and ignored, as pygrad traces no ops.
    """

    def __init__(self, enabled: bool = True, **kwargs: Any) -> None:
        self.enabled = enabled
        self.function_events: EventList | None = None
        self._events: list[FunctionEvent] = []
        self._start_us = 0.0
        self.entered = False

    def __enter__(self) -> profile:
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._events = []
        self._start_us = time.perf_counter() * 1e6
        with _lock:
            _active.append(self)
        return self

    def __exit__(self, *args: object) -> None:
        if not self.enabled:
            return
        with _lock:
            _active.remove(self)
            events = sorted(self._events, key=lambda e: e.start_us)
        self.function_events = EventList(events)
        self.entered = False

    def _check_finished(self) -> EventList:
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def events(self) -> EventList:
        """Every recorded region, in order of entry."""
        return self._check_finished()

    def key_averages(self, group_by_input_shape: bool = False, **kwargs: Any) -> EventList:
        """The regions grouped by name: count, total, self and average time."""
        return self._check_finished().key_averages()

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        """The table of every recorded region (not grouped): see ``EventList.table``."""
        return self._check_finished().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        """Microseconds spent in recorded regions, counted once."""
        return self._check_finished().self_cpu_time_total

    def __str__(self) -> str:
        return self.table()


class record_function:
    """Labels a region (a ``with`` block, or a function when used as a decorator) for the active profilers.

    Args:
        name: the row's name in the profiler's table.
        args: accepted for torch's signature, unused.
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args

    def __enter__(self) -> record_function:
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(
            [time.perf_counter() * 1e6, 0.0]
        )  # [start, time in nested regions], microseconds
        return self

    def __exit__(self, *args: object) -> None:
        end = time.perf_counter() * 1e6
        stack = _local.stack
        start, children = stack.pop()
        if stack:  # the enclosing region on this thread spent this time in a child
            stack[-1][1] += end - start
        if not _active:
            return
        event = FunctionEvent(self.name, start, end, threading.get_ident())
        event.children_us = children
        with _lock:
            for prof in _active:
                if start >= prof._start_us:  # only regions entered while the profiler ran
                    prof._events.append(event)

    def __call__(self, fn: _F) -> _F:
        name = self.name

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with record_function(name):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps: fn's name and signature
