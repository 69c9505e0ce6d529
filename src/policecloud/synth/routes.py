"""Shortest routes between places of the road network, flattened into numpy arrays of checkpoint passes.

A route is the ordered list of checkpoints met on the minimum-time path from one node to another, each
with its offset (minutes from departure at the speed limits) and the direction of travel through it.
Routes are computed lazily, once per (origin, destination) pair, with one Dijkstra per origin.
"""

from __future__ import annotations

from array import array

import numpy as np

from policecloud.synth.roads import RoadNetwork


class RouteTable:
    def __init__(self, net: RoadNetwork) -> None:
        self.net = net
        self.index: dict[tuple[int, int], int] = {}
        self._trees: dict[int, array] = {}
        self._dist: dict[int, array] = {}
        self._start: list[int] = []
        self._length: list[int] = []
        self._total: list[float] = []
        self._cp: list[int] = []
        self._offset: list[float] = []
        self._dir: list[int] = []
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._done: tuple[np.ndarray, ...] = (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0, np.int32),
            np.zeros(0),
            np.zeros(0, np.int8),
        )
        self._directions: dict[tuple[int, int], int] = {}
        self._count = 0  # routes so far
        self._cps = 0  # checkpoint entries so far

    def _route(self, origin: int, dest: int) -> int:
        if origin not in self._trees:  # compact arrays: ~1 000 origins × every node
            dist, pred = self.net.shortest(origin)
            self._dist[origin], self._trees[origin] = array("d", dist), array("i", pred)
        pred, dist = self._trees[origin], self._dist[origin]
        path = [dest]
        while path[-1] != origin:
            path.append(pred[path[-1]])
        path.reverse()
        rid = self._count
        first = self._cps
        for i in range(1, len(path) - 1):
            cp = self.net.checkpoint_of_node.get(path[i])
            if cp is not None:
                self._cp.append(cp)
                self._offset.append(dist[path[i]])
                turn = (path[i - 1], path[i + 1])
                code = self._directions.get(turn)
                if code is None:
                    code = self._directions[turn] = self.net.direction(*turn)
                self._dir.append(code)
                self._cps += 1
        self._start.append(first)
        self._length.append(self._cps - first)
        self._total.append(dist[dest])
        self._count += 1
        self.index[origin, dest] = rid
        self._arrays = None
        return rid

    def ids(self, origins: np.ndarray, dests: np.ndarray) -> np.ndarray:
        """Route id for every (origin, destination) pair, computing the missing ones."""
        keys = origins.astype(np.int64) * 1_000_000 + dests
        unique, inverse = np.unique(keys, return_inverse=True)
        rids = np.empty(len(unique), dtype=np.int64)
        for k, key in enumerate(unique.tolist()):
            pair = (key // 1_000_000, key % 1_000_000)
            rid = self.index.get(pair)
            rids[k] = rid if rid is not None else self._route(*pair)
        return rids[inverse]

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(start, length, total minutes, checkpoint, offset minutes, direction) as numpy arrays.

        Routes added since the last call are converted and appended (the Python lists only hold those)."""
        if self._arrays is None:
            fresh = (
                np.asarray(self._start, dtype=np.int64),
                np.asarray(self._length, dtype=np.int64),
                np.asarray(self._total, dtype=np.float64),
                np.asarray(self._cp, dtype=np.int32),
                np.asarray(self._offset, dtype=np.float64),
                np.asarray(self._dir, dtype=np.int8),
            )
            self._done = tuple(np.concatenate([old, new]) for old, new in zip(self._done, fresh, strict=True))
            for pending in (self._start, self._length, self._total, self._cp, self._offset, self._dir):
                pending.clear()
            self._arrays = self._done
        return self._arrays
