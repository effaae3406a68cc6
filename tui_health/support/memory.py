"""The process's memory, settled once the first answer is in."""

from __future__ import annotations

import gc


def settle_memory() -> None:
    """Collect once, then take everything alive (the app, the first answer, the caches) out of the cyclic
    collector's scans: a full collection at 10,000 components walked every object and held the event loop for
    ~50 ms every few polls (keys waited behind it). Objects freed later are still freed by reference counting;
    only cyclic garbage among the frozen ones would be kept, and the first answer's data holds no cycles."""
    gc.collect()
    gc.freeze()
