"""Where batch work runs: on every core of this machine (`LocalEngine`) or on a Dask cluster
(`DaskEngine`).

An engine maps a pure, importable function over a stream of record batches and yields the
results in input order, with a bounded number of batches in flight: memory stays constant in the
file size and a written copy is byte-identical to a sequential run's. The functions receive
everything they need as arguments (plan, key material), so the same ones run in a thread or on a
remote worker. With Dask the marking key travels to the workers: use only a cluster you trust.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from hallmark.errors import InputError

R = TypeVar("R")
ENGINES = ("local", "dask")
IN_FLIGHT_PER_WORKER = 2


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


class Engine:
    """Runs `fn(batch, *args)` for each batch; results come back in input order."""

    name = "engine"
    workers = 1

    def map_batches(self, fn: Callable[..., R], batches: Iterable[Any], *args: Any
                    ) -> Iterator[R]:
        """`fn(batch, *args)` for every batch, in order, at most ~2 per worker in flight."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class LocalEngine(Engine):
    """A thread pool in this process. The per-batch work is numpy, pyarrow and AES over whole
    arrays, and reading and writing the file overlap with it; processes would have to copy
    every batch both ways."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise InputError("an engine needs at least one worker", field="workers")
        self.workers = workers or cpu_count()

    def map_batches(self, fn: Callable[..., R], batches: Iterable[Any], *args: Any
                    ) -> Iterator[R]:
        """`fn(batch, *args)` for every batch, in order, on a bounded thread pool."""
        if self.workers == 1:
            for batch in batches:
                yield fn(batch, *args)
            return
        window = IN_FLIGHT_PER_WORKER * self.workers
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="hallmark-engine")
        pending: deque[Future[R]] = deque()
        try:
            for batch in batches:
                if len(pending) >= window:
                    yield pending.popleft().result()
                pending.append(pool.submit(fn, batch, *args))
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine(Engine):
    """A dask.distributed cluster reached at a scheduler address; batches travel as Arrow
    objects and the functions must be importable on the workers (hallmark installed there)."""

    name = "dask"

    def __init__(self, scheduler: str, timeout: float | None = None) -> None:
        from distributed import Client

        self.scheduler = scheduler
        try:
            # without a timeout, dask's own (distributed.comm.timeouts.connect, 30 s)
            extra = {} if timeout is None else {"timeout": timeout}
            self.client = Client(scheduler, set_as_default=False, **extra)
        except (OSError, TimeoutError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {first}",
                             field="scheduler") from None
        threads = sum(self.client.nthreads().values())
        self.workers = max(1, threads)

    def map_batches(self, fn: Callable[..., R], batches: Iterable[Any], *args: Any
                    ) -> Iterator[R]:
        """`fn(batch, *args)` for every batch on the cluster, in order, bounded in flight."""
        window = IN_FLIGHT_PER_WORKER * self.workers
        pending: deque[Any] = deque()
        try:
            for batch in batches:
                if len(pending) >= window:
                    yield self._take(pending.popleft())
                pending.append(self.client.submit(fn, batch, *args, pure=False))
            while pending:
                yield self._take(pending.popleft())
        finally:
            if pending:
                self.client.cancel(list(pending))

    @staticmethod
    def _take(future: Any) -> Any:
        try:
            return future.result()
        finally:
            future.release()

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self.client.close()


def make_engine(name: str | None = "local", scheduler: str | None = None,
                workers: int | None = None) -> Engine:
    """The engine a command asked for: `local` (every core) or `dask` at `scheduler`."""
    name = (name or "local").strip().lower()
    if name not in ENGINES:
        raise InputError(f"must be one of {', '.join(ENGINES)} (got {name!r})", field="engine")
    if name == "dask":
        if not scheduler:
            raise InputError("the dask engine needs a scheduler address (e.g. tcp://host:8786)",
                             field="scheduler")
        return DaskEngine(scheduler)
    if scheduler:
        raise InputError("is only used with the dask engine", field="scheduler")
    return LocalEngine(workers)
