"""The most recently used arrays, up to a budget of bytes.

Why: the mixer keeps the clips it is placing and Piper keeps the sentences it has synthesised, both
so that what is needed again soon is not made again, and both must stay flat however long the
session is. One small class holds that rule for both.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable

import numpy as np


class RecentArrays:
    """A thread-safe mapping that forgets its least recently used arrays beyond `budget` bytes (it
    always keeps the newest, however large)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._arrays: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            found = self._arrays.get(key)
            if found is not None:
                self._arrays.move_to_end(key)
            return found

    def put(self, key: Hashable, array: np.ndarray) -> None:
        with self._lock:
            old = self._arrays.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._arrays[key] = array
            self._bytes += array.nbytes
            while self._bytes > self.budget and len(self._arrays) > 1:
                _, dropped = self._arrays.popitem(last=False)
                self._bytes -= dropped.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._arrays)
