"""The road network: expressways, national and provincial roads between real county seats, a street
grid around every seat, checkpoints (卡口) splitting road segments, and travel times between them.

The network depends only on the geography (its random choices use a fixed stream), so checkpoint ids are
the same for every seed and scale. Travel times use each class's speed limit, so they are the minimum a
legitimate vehicle can take; simulated trips are always slower by a per-trip factor >= 1.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

from policecloud.synth.geography import Geography, distance_km, offset
from policecloud.synth.rng import stream

# class: (speed limit km/h used for minimum travel times, lanes per direction, detour factor)
ROAD_CLASSES = {
    "expressway": (120.0, 3, 1.20),
    "national": (80.0, 2, 1.25),
    "provincial": (70.0, 1, 1.30),
    "urban": (60.0, 2, 1.15),
}
EXPRESSWAYS = (
    "G4京港澳高速",
    "G42沪蓉高速",
    "G50沪渝高速",
    "G70福银高速",
    "G55二广高速",
    "G45大广高速",
    "G59呼北高速",
    "G0421许广高速",
    "S7武鄂高速",
    "G4213麻安高速",
)
NATIONAL = (
    "G107国道",
    "G106国道",
    "G207国道",
    "G209国道",
    "G316国道",
    "G318国道",
    "G240国道",
    "G347国道",
    "G220国道",
    "G351国道",
)
STREET_STEMS = (
    "解放",
    "人民",
    "中山",
    "建设",
    "和平",
    "胜利",
    "新华",
    "光明",
    "友谊",
    "长江",
    "汉江",
    "发展",
    "民主",
    "复兴",
    "青年",
    "文化",
    "园林",
    "工业",
    "东风",
    "朝阳",
    "滨江",
    "学府",
    "北京",
    "南湖",
    "沿河",
    "翠柳",
    "幸福",
    "团结",
    "红旗",
    "振兴",
)
GRID_SIZE = 3  # nodes per side of the street grid around each seat
GRID_SPACING_KM = {True: 1.4, False: 0.9}  # city district vs county seat
# Compass direction of travel through a checkpoint (GA/T 497-style codes: 1 E→W, 2 W→E, 3 S→N, 4 N→S).
DIRECTIONS = {1: "由东向西", 2: "由西向东", 3: "由南向北", 4: "由北向南"}


@dataclass
class Checkpoint:
    index: int
    code: str
    name: str
    road: str
    road_class: str
    county: str
    lon: float
    lat: float
    node: int
    lanes: int
    directions: tuple[int, int]  # (travelling from end a to end b, from b to a)


@dataclass
class RoadNetwork:
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    node_county: list[str] = field(default_factory=list)
    node_kind: list[str] = field(default_factory=list)  # seat, grid, checkpoint
    adjacency: list[list[tuple[int, float, int]]] = field(default_factory=list)  # (to, minutes, edge id)
    edges: list[tuple[int, int, str, str, float]] = field(default_factory=list)  # a, b, class, road, km
    checkpoints: list[Checkpoint] = field(default_factory=list)
    checkpoint_of_node: dict[int, int] = field(default_factory=dict)
    places: dict[str, list[int]] = field(default_factory=dict)  # county code → grid node ids (incl. seat)
    street_names: dict[int, str] = field(default_factory=dict)  # grid node → street name at that node
    _travel: list[list[float]] | None = field(default=None, repr=False)

    def add_node(self, lon: float, lat: float, county: str, kind: str) -> int:
        self.lon.append(lon)
        self.lat.append(lat)
        self.node_county.append(county)
        self.node_kind.append(kind)
        self.adjacency.append([])
        return len(self.lon) - 1

    def add_edge(self, a: int, b: int, road_class: str, road: str, km: float | None = None) -> None:
        if km is None:
            km = distance_km(self.lon[a], self.lat[a], self.lon[b], self.lat[b]) * ROAD_CLASSES[road_class][2]
        minutes = km / ROAD_CLASSES[road_class][0] * 60.0
        edge = len(self.edges)
        self.edges.append((a, b, road_class, road, km))
        self.adjacency[a].append((b, minutes, edge))
        self.adjacency[b].append((a, minutes, edge))

    def shortest(self, source: int) -> tuple[list[float], list[int]]:
        """Dijkstra from one node: minimum minutes to every node and each node's predecessor."""
        dist = [math.inf] * len(self.lon)
        pred = [-1] * len(self.lon)
        dist[source] = 0.0
        heap = [(0.0, source)]
        adjacency = self.adjacency
        push, pop = heapq.heappush, heapq.heappop
        while heap:
            d, u = pop(heap)
            if d > dist[u]:
                continue
            for v, w, _ in adjacency[u]:
                nd = d + w
                if nd < dist[v]:
                    dist[v] = nd
                    pred[v] = u
                    push(heap, (nd, v))
        return dist, pred

    def direction(self, a: int, b: int) -> int:
        """Direction code of travel from node a to node b."""
        dx = (self.lon[b] - self.lon[a]) * math.cos(math.radians(self.lat[a]))
        dy = self.lat[b] - self.lat[a]
        if abs(dx) >= abs(dy):
            return 2 if dx > 0 else 1
        return 3 if dy > 0 else 4

    def checkpoint_travel_minutes(self) -> list[list[float]]:
        """All-pairs minimum travel time in minutes between checkpoints (row = from, column = to).

        Computed once per network (one Dijkstra per checkpoint) and kept."""
        if self._travel is None:
            nodes = [cp.node for cp in self.checkpoints]
            self._travel = [[dist[n] for n in nodes] for dist in (self.shortest(src)[0] for src in nodes)]
        return self._travel


def _mst(points: list[tuple[float, float]]) -> list[tuple[int, int]]:
    """Prim's minimum spanning tree over great-circle distances."""
    n = len(points)
    in_tree = [False] * n
    best = [(math.inf, -1)] * n
    best[0] = (0.0, -1)
    edges = []
    for _ in range(n):
        u = min((i for i in range(n) if not in_tree[i]), key=lambda i: best[i][0])
        in_tree[u] = True
        if best[u][1] >= 0:
            edges.append((best[u][1], u))
        for v in range(n):
            if not in_tree[v]:
                d = distance_km(*points[u], *points[v])
                if d < best[v][0]:
                    best[v] = (d, u)
    return edges


def _nearest(points: list[tuple[float, float]], i: int, k: int) -> list[int]:
    order = sorted(range(len(points)), key=lambda j: distance_km(*points[i], *points[j]))
    return [j for j in order if j != i][:k]


def build_network(geo: Geography) -> RoadNetwork:
    rng = stream(0, "roads")  # the same network for every seed
    net = RoadNetwork()
    seat_node: dict[str, int] = {}
    for county in geo.counties:
        spacing = GRID_SPACING_KM[county.urban]
        half = GRID_SIZE // 2
        grid: dict[tuple[int, int], int] = {}
        stems = rng.sample(STREET_STEMS, 2 * GRID_SIZE)
        for gx in range(-half, half + 1):
            for gy in range(-half, half + 1):
                lon, lat = offset(county.lon, county.lat, gx * spacing, gy * spacing)
                kind = "seat" if gx == gy == 0 else "grid"
                node = net.add_node(lon, lat, county.code, kind)
                grid[gx, gy] = node
                net.street_names[node] = f"{stems[gx + half]}路与{stems[GRID_SIZE + gy + half]}街交叉口"
        seat_node[county.code] = grid[0, 0]
        net.places[county.code] = list(grid.values())
        for (gx, gy), node in grid.items():
            if (gx + 1, gy) in grid:
                net.add_edge(node, grid[gx + 1, gy], "urban", f"{stems[GRID_SIZE + gy + half]}街")
            if (gx, gy + 1) in grid:
                net.add_edge(node, grid[gx, gy + 1], "urban", f"{stems[gx + half]}路")

    counties = list(geo.counties)
    points = [(c.lon, c.lat) for c in counties]
    links: dict[tuple[int, int], str] = {}
    # Expressways between prefecture hubs (the county whose seat is closest to the prefecture's seat).
    hubs = []
    for pref in geo.prefectures:
        members = [i for i, c in enumerate(counties) if c.prefecture == pref.code]
        hubs.append(min(members, key=lambda i: distance_km(*points[i], pref.lon, pref.lat)))
    hub_points = [points[i] for i in hubs]
    for a, b in _mst(hub_points) + [(i, j) for i in range(len(hubs)) for j in _nearest(hub_points, i, 2)]:
        links[tuple(sorted((hubs[a], hubs[b])))] = "expressway"
    for a, b in _mst(points):
        links.setdefault(tuple(sorted((a, b))), "national")
    for i in range(len(counties)):
        for j in _nearest(points, i, 2):
            same_pref = counties[i].prefecture == counties[j].prefecture
            links.setdefault(tuple(sorted((i, j))), "provincial" if same_pref else "national")
    # Urban arterials between neighbouring districts of one city.
    for i, c in enumerate(counties):
        if c.urban:
            peers = [j for j, d in enumerate(counties) if d.urban and d.prefecture == c.prefecture and j != i]
            for j in sorted(peers, key=lambda j: distance_km(*points[i], *points[j]))[:2]:
                links.setdefault(tuple(sorted((i, j))), "urban-arterial")

    cp_counter: dict[str, int] = {}

    def add_checkpoint(a: int, b: int, frac: float, road_class: str, road: str, county: str) -> None:
        lon = net.lon[a] + (net.lon[b] - net.lon[a]) * frac
        lat = net.lat[a] + (net.lat[b] - net.lat[a]) * frac
        node = net.add_node(lon, lat, county, "checkpoint")
        cp_counter[county] = cp_counter.get(county, 0) + 1
        index = len(net.checkpoints)
        lanes = ROAD_CLASSES[road_class][1] + (1 if rng.random() < 0.3 else 0)
        name = f"{road}{geo_names[county]}{'出入城' if road_class != 'urban' else ''}卡口{cp_counter[county]}"
        net.checkpoints.append(
            Checkpoint(
                index,
                f"{county}{cp_counter[county]:04d}",
                name,
                road,
                road_class,
                county,
                lon,
                lat,
                node,
                lanes,
                (net.direction(a, b), net.direction(b, a)),
            )
        )
        net.checkpoint_of_node[node] = index

    geo_names = {c.code: c.name for c in counties}
    for (i, j), kind in sorted(links.items()):
        a, b = seat_node[counties[i].code], seat_node[counties[j].code]
        road_class = "urban" if kind == "urban-arterial" else kind
        if kind == "expressway":
            road = rng.choice(EXPRESSWAYS)
        elif kind == "national":
            road = rng.choice(NATIONAL)
        elif kind == "provincial":
            road = f"S{rng.randrange(101, 340)}省道"
        else:
            road = f"{rng.choice(STREET_STEMS)}大道"
        total = distance_km(net.lon[a], net.lat[a], net.lon[b], net.lat[b]) * ROAD_CLASSES[road_class][2]
        if road_class == "urban" or total < 20:
            cuts = [(0.5, counties[i].code)]
        else:
            cuts = [
                (min(0.25, 5.0 / total), counties[i].code),
                (max(0.75, 1 - 5.0 / total), counties[j].code),
            ]
        previous, done = a, 0.0
        for frac, county in cuts:
            add_checkpoint(a, b, frac, road_class, road, county)
            net.add_edge(previous, len(net.lon) - 1, road_class, road, total * (frac - done))
            previous, done = len(net.lon) - 1, frac
        net.add_edge(previous, b, road_class, road, total * (1 - done))
    # Intersection checkpoints: on every street of a city district's grid, on two streets of a county seat.
    for county in counties:
        grid = set(net.places[county.code])
        streets = [
            e
            for e, (a, b, road_class, _, _) in enumerate(net.edges)
            if road_class == "urban" and a in grid and b in grid
        ]
        if not county.urban:
            seat = seat_node[county.code]
            streets = [e for e in streets if seat in net.edges[e][:2]][:2]
        for e in streets:
            a, b, _, road, km = net.edges[e]
            _split_edge(net, e)
            add_checkpoint(a, b, 0.5, "urban", road, county.code)
            mid = len(net.lon) - 1
            net.add_edge(a, mid, "urban", road, km / 2)
            net.add_edge(mid, b, "urban", road, km / 2)
    return net


def _split_edge(net: RoadNetwork, edge: int) -> None:
    """Remove an edge from the adjacency lists (its record stays, marked as replaced)."""
    a, b, _, road, km = net.edges[edge]
    net.adjacency[a] = [t for t in net.adjacency[a] if t[2] != edge]
    net.adjacency[b] = [t for t in net.adjacency[b] if t[2] != edge]
    net.edges[edge] = (a, b, "replaced", road, km)
