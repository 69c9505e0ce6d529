"""Person clusters from scored links, ID numbers and manual judgements.

The graph's nodes are the mentions without a valid ID number and the *ID groups* (all mentions of one valid number,
node ``id:<number>``) that some link touches; every other ID group is an entity on its own and never enters Python.
Edges: model links above the threshold (method ``probabilistic``, weight = match probability) and ``same``
judgements (method ``judgement``). ``not_same`` judgements are cannot-link constraints.

Clustering is connected components built greedily, strongest edge first (Kruskal's order), where an edge is
skipped when joining its two sides would

- put the two mentions of a ``not_same`` judgement into one cluster — so a wrong merge is undone by dropping the
  weakest links that made it, exactly those and no more; or
- join two different valid ID numbers (two numbers are two people) — unless the edge is a ``same`` judgement.

Judgement edges come first, so they override the model. So a mention without a number joins the ID group of its
best match, and a chain of weak links cannot pull two numbered people together. When a ``not_same`` judgement
separates two mentions of the *same* number (someone used another's ID card), that group is split into its
mentions, held together by ID-number edges of weight 1 (which the constraint may then refuse for one of them).

Several judgements on one pair: ``not_same`` beats ``same``, which beats ``unsure`` (which changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

JUDGEMENT, ID_NUMBER, PROBABILISTIC, SINGLETON = "judgement", "id_number", "probabilistic", "singleton"
VERDICTS = ("same", "not_same", "unsure")
_PRECEDENCE = {"unsure": 0, "same": 1, "not_same": 2}


class Edge(NamedTuple):
    a: str
    b: str
    weight: float
    method: str  # judgement / id_number / probabilistic


class Assignment(NamedTuple):
    anchor: str  # the cluster's anchor key: its (smallest) ID number, else its smallest record key
    method: str
    score: float


class ConstrainedClusters:
    """Union-find whose unions respect ``not_same`` constraints and keep different ID numbers apart.

    A set's valid ID numbers and constraint tokens are kept only for the sets that have any (most have none), as
    plain dicts keyed by the set's root: this runs over a few hundred thousand nodes on ``medium``."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}
        self.anchors: dict[str, frozenset[str]] = {}  # root → valid ID numbers in the set
        self.tokens: dict[str, frozenset[int]] = {}  # root → not_same constraints touching the set

    def add(self, node: str, anchor: str | None = None) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.size[node] = 1
        if anchor:
            root = self.find(node)
            self.anchors[root] = self.anchors.get(root, frozenset()) | {anchor}

    def forbid(self, a: str, b: str, token: int) -> None:
        for node in (a, b):
            self.add(node)
            root = self.find(node)
            self.tokens[root] = self.tokens.get(root, frozenset()) | {token}

    def find(self, node: str) -> str:
        parent = self.parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(self, a: str, b: str, forced: bool = False) -> bool:
        """Join the sets of a and b unless a constraint forbids it; True when they are (now) one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ta, tb = self.tokens.get(ra), self.tokens.get(rb)
        if ta and tb and ta & tb:
            return False
        na, nb = self.anchors.get(ra), self.anchors.get(rb)
        if not forced and na and nb and not (na & nb):
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb, ta, tb, na, nb = rb, ra, tb, ta, nb, na
        self.parent[rb] = ra
        self.size[ra] += self.size.pop(rb)
        if nb:
            self.anchors[ra] = (na or frozenset()) | nb
            del self.anchors[rb]
        if tb:
            self.tokens[ra] = (ta or frozenset()) | tb
            del self.tokens[rb]
        return True


def combine_judgements(rows: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    """One verdict per unordered pair of record keys (not_same > same > unsure); unknown verdicts are an error."""
    pairs: dict[tuple[str, str], str] = {}
    for left, right, verdict in rows:
        if verdict not in VERDICTS:
            raise ValueError(f"unknown judgement verdict {verdict!r}; expected one of {', '.join(VERDICTS)}")
        if left == right:
            continue
        key = (min(left, right), max(left, right))
        if key not in pairs or _PRECEDENCE[verdict] > _PRECEDENCE[pairs[key]]:
            pairs[key] = verdict
    return pairs


def cluster(
    edges: Iterable[Edge],
    anchors: Mapping[str, str],
    cannot_link: Iterable[tuple[str, str]] = (),
    primary: Mapping[str, str] | None = None,
) -> dict[str, Assignment]:
    """Assign every node of ``edges`` (and of ``cannot_link``) to a cluster.

    ``anchors``: node → its valid ID number (ID-group nodes and the mentions of split groups); every other node
    is a record key.
    ``primary``: ID number → the node that keeps the number as its cluster's anchor when a not_same judgement
    split its group (the group's smallest record key); the other parts are anchored by their smallest key.
    """
    uf = ConstrainedClusters()
    edges = list(edges)
    for e in edges:
        uf.add(e.a, anchors.get(e.a))
        uf.add(e.b, anchors.get(e.b))
    for token, (a, b) in enumerate(sorted(cannot_link)):
        uf.add(a, anchors.get(a))
        uf.add(b, anchors.get(b))
        uf.forbid(a, b, token)
    best: dict[str, Edge] = {}
    order = sorted(edges, key=lambda e: (e.method != JUDGEMENT, -e.weight, e.a, e.b))
    for e in order:
        if uf.union(e.a, e.b, forced=e.method == JUDGEMENT):
            for node in (e.a, e.b):
                if node not in best:  # the first accepted edge is the strongest
                    best[node] = e
    members: dict[str, list[str]] = {}
    for node in uf.parent:
        members.setdefault(uf.find(node), []).append(node)
    primary = primary or {}
    result: dict[str, Assignment] = {}
    for root, nodes in members.items():
        anchor = _anchor(uf, root, nodes, primary)
        for node in nodes:
            result[node] = _assignment(node, anchor, anchors.get(node), best.get(node), len(nodes))
    return result


def _anchor(uf: ConstrainedClusters, root: str, nodes: list[str], primary: Mapping[str, str]) -> str:
    """The cluster's smallest ID number that is its own (see ``primary``), else its smallest record key (a cluster
    without a number of its own holds only record-key nodes: ID-group nodes always carry their number)."""
    for number in sorted(uf.anchors.get(root, ())):
        keeper = primary.get(number)
        if keeper is None or uf.find(keeper) == root:
            return number
    return min(nodes)


def _assignment(node: str, anchor: str, number: str | None, edge: Edge | None, size: int) -> Assignment:
    if number is not None:
        if number == anchor:
            return Assignment(anchor, ID_NUMBER, 1.0)
        return Assignment(anchor, JUDGEMENT, 1.0)  # only a judgement joins or splits numbers
    if edge is None or size == 1:
        return Assignment(anchor, SINGLETON, 1.0)
    if edge.method == PROBABILISTIC:
        return Assignment(anchor, PROBABILISTIC, edge.weight)
    return Assignment(anchor, edge.method, 1.0)
