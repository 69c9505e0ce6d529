"""Independent random streams derived from the seed, one per named component.

Every component asks for its own stream by name, so adding or reordering components never changes the
output of the others, and chunked generation gives the same bytes as one-shot generation.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np


def _key(seed: int, name: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=16).digest()
    return int.from_bytes(digest, "big")


def stream(seed: int, name: str) -> random.Random:
    """A ``random.Random`` for one component."""
    return random.Random(_key(seed, name))


def np_stream(seed: int, name: str) -> np.random.Generator:
    """A numpy generator for one component (PCG64 seeded from the same derivation)."""
    return np.random.Generator(np.random.PCG64(_key(seed, name)))
