"""An order-keeping `map` over worker processes, for the data stages' per-file and per-row work."""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def ordered_map(workers: int, chunksize: int = 1) -> Iterator[Callable]:
    """A `map(function, items)` whose results come in the items' order, computed by `workers` processes (the
    builtin `map` for one); `function` must be picklable (module level, or a partial of one)."""
    if workers <= 1:
        yield map
        return
    with multiprocessing.Pool(workers) as pool:
        yield lambda function, items: pool.imap(function, items, chunksize=chunksize)
