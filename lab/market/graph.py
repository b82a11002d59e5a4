"""The social graph of a finite market, stored as CSR arrays.

Why CSR and not networkx: a networkx graph keeps a dict of dicts per node and per
edge, about 1 kB per person at 20 friends each and minutes to build for a million
people.  The lab needs a million-person market in seconds and a few hundred bytes
per person, so the graph is three flat NumPy arrays (compressed sparse rows):
``indptr`` (int64, n + 1), ``indices`` (int32, one entry per direction of every
tie) and, when tie strengths vary, ``weight`` (float32, aligned with ``indices``).
``benchmarks/bench_graph.py`` measures both.  networkx is used where it shines:
small graphs in tests and notebooks (:meth:`SocialGraph.to_networkx`), to check
degree distribution and clustering against its own generators.

The generator is a stochastic-block configuration model, fully vectorised:

1. each person gets a segment (persona) by the market's shares, and, for a
   ``clustered`` graph, a community (neighbourhood group, interest circle,
   colleagues) of Poisson size around ``community_size``;
2. each person gets a degree: Poisson(mean) or, with ``degree_shape``, gamma-Poisson
   (negative binomial; smaller shape = a few people with very many friends);
3. each tie end ("stub") is typed: inside the community with probability
   ``within_community_share``; otherwise to the same segment with probability
   ``homophily``; otherwise to anyone;
4. stubs of each type and group are shuffled and paired; self-ties and duplicate
   ties are dropped, and the stubs they cost are typed and paired again (up to
   four rounds), so realised degrees come within a fraction of a percent of the
   drawn ones except in tiny communities, where a person can run out of new people
   to befriend (see the tests);
5. each tie gets one strength (the same in both directions) from ``tie_strength``.

A ``well_mixed`` market has no stored ties: everyone knows everyone, neighbour
draws are uniform over the whole market.  This is the mean-field graph on which
word of mouth follows the Bass model.

All randomness comes from one ``numpy.random.Generator`` seeded from the run's
``market_graph`` stream (:mod:`lab.rng`), so the same seed builds the same graph in
every run and every worker.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

__all__ = ["SocialGraph", "build_graph"]

#: rounds of re-pairing the stubs lost to self-ties and duplicates (see step 4)
_REPAIR_ROUNDS = 4
#: stop re-pairing once this share of the drawn stubs is missing
_REPAIR_TOLERANCE = 0.002


@dataclasses.dataclass
class SocialGraph:
    """A market's people and their ties.

    Attributes
    ----------
    size : int
        Number of people.
    segment : numpy.ndarray of int8
        Segment index of each person (into the market's segment labels, sorted).
    community : numpy.ndarray of int32
        Community id of each person, -1 when the graph has no communities.
    indptr, indices : numpy.ndarray or None
        CSR adjacency (``indices[indptr[i]:indptr[i+1]]`` are i's friends); ``None``
        for a well-mixed market.
    weight : numpy.ndarray of float32 or None
        Tie strength aligned with ``indices``; ``None`` when every tie has strength
        ``mean_weight``.
    mean_weight : float
        Mean tie strength (the reference for the acceptance chance).
    """

    size: int
    segment: np.ndarray
    community: np.ndarray
    indptr: np.ndarray | None = None
    indices: np.ndarray | None = None
    weight: np.ndarray | None = None
    mean_weight: float = 1.0

    @property
    def well_mixed(self) -> bool:
        """Whether everyone knows everyone (no stored ties)."""
        return self.indptr is None

    def degree(self) -> np.ndarray:
        """Number of friends of each person."""
        if self.indptr is None:
            return np.full(self.size, self.size - 1, dtype=np.int64)
        return np.diff(self.indptr)

    def nbytes(self) -> int:
        """Bytes held by the graph's arrays."""
        arrays = (self.segment, self.community, self.indptr, self.indices, self.weight)
        return sum(a.nbytes for a in arrays if a is not None)

    def to_scipy(self):
        """The adjacency as a ``scipy.sparse.csr_array`` (tie strengths as data)."""
        from scipy import sparse

        if self.indptr is None:
            raise ValueError("a well-mixed market stores no ties (everyone knows everyone)")
        data = self.weight if self.weight is not None else np.ones(self.indices.size, np.float32)
        return sparse.csr_array((data, self.indices, self.indptr), shape=(self.size, self.size))

    def to_networkx(self):
        """The graph as a ``networkx.Graph`` (for small markets: tests, notebooks).

        Node attributes ``segment`` and ``community``; edge attribute ``weight``.
        """
        import networkx as nx

        g = nx.from_scipy_sparse_array(self.to_scipy())
        nx.set_node_attributes(g, dict(enumerate(self.segment.tolist())), "segment")
        nx.set_node_attributes(g, dict(enumerate(self.community.tolist())), "community")
        return g


def _community_of(size: int, mean_size: float, rng: np.random.Generator) -> np.ndarray:
    """Community id per person: Poisson sizes (at least 2) over a random order of people."""
    n_guess = int(size / mean_size * 1.2) + 16
    sizes = np.maximum(rng.poisson(mean_size, n_guess), 2)
    while sizes.sum() < size:
        sizes = np.concatenate([sizes, np.maximum(rng.poisson(mean_size, n_guess), 2)])
    ends = np.cumsum(sizes)
    n_comm = int(np.searchsorted(ends, size)) + 1
    labels = np.repeat(np.arange(n_comm, dtype=np.int32), sizes[:n_comm])[:size]
    community = np.empty(size, dtype=np.int32)
    community[rng.permutation(size)] = labels
    return community


def _degrees(size: int, mean: float, shape: float | None, rng) -> np.ndarray:
    lam = mean if shape is None else rng.gamma(shape, mean / shape, size)
    return np.minimum(rng.poisson(lam, size), size - 1).astype(np.int32)


def _pair_stubs(owner: np.ndarray, group: np.ndarray, rng) -> np.ndarray:
    """Shuffle stubs within their group and pair neighbours.

    Returns the ties as sorted unique codes ``a << 31 | b`` with ``a < b`` (people are
    numbered below 2**31); self-ties and duplicates are dropped.
    """
    key = (group.astype(np.int64) << np.int64(32)) | rng.integers(
        0, 2**32, owner.size, dtype=np.uint32
    ).astype(np.int64)
    order = np.argsort(key)  # introsort: deterministic for the same keys, ~2x a stable sort
    del key
    owner = owner[order]
    group = group[order]
    del order
    m = owner.size // 2 * 2
    a, b = owner[0:m:2], owner[1:m:2]
    ok = (group[0:m:2] == group[1:m:2]) & (a != b)  # a group's odd stub is left single
    a, b = a[ok], b[ok]
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    return _sorted_unique((lo << np.int64(31)) | hi)


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting in place (numpy's hash-based unique is far slower here)."""
    x.sort()
    if x.size == 0:
        return x
    return x[np.concatenate(([True], x[1:] != x[:-1]))]


def _merge(pairs: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Union of two sorted unique tie-code arrays."""
    if pairs.size == 0:
        return new
    return _sorted_unique(np.concatenate([pairs, new]))


def _unpack(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (pairs >> np.int64(31)).astype(np.int32), (pairs & np.int64(2**31 - 1)).astype(np.int32)


def _stub_groups(owner, community, segment, n_comm, n_seg, within, spec, rng) -> np.ndarray:
    """Group of each stub: its community (share ``within``), else its segment (share
    ``homophily`` of the rest), else everyone (group ids: communities, then segments,
    then one for everyone)."""
    u = rng.random(owner.size, dtype=np.float32)
    group = np.full(owner.size, n_comm + n_seg, dtype=np.int32)  # anyone
    same_seg = u >= within
    same_seg &= rng.random(owner.size, dtype=np.float32) < spec.homophily
    group[same_seg] = n_comm + segment[owner[same_seg]].astype(np.int32)
    del same_seg
    if within > 0:
        inside = u < within
        group[inside] = community[owner[inside]]
    return group


@njit(cache=True)
def _fill_csr(n, a, b, w, indptr, indices, weight, has_w):
    pos = indptr[:-1].copy()
    for e in range(a.size):
        i, j = a[e], b[e]
        indices[pos[i]] = j
        indices[pos[j]] = i
        if has_w:
            weight[pos[i]] = w[e]
            weight[pos[j]] = w[e]
        pos[i] += 1
        pos[j] += 1


def build_graph(spec, size: int, segment_shares: np.ndarray, tie_draw, rng) -> SocialGraph:
    """Build the social graph of a market.

    Parameters
    ----------
    spec : lab.scenario.GraphSpec
        Structure: kind, degrees, communities, homophily.
    size : int
        Number of people.
    segment_shares : numpy.ndarray
        Share of each segment (in the order of the segment labels).
    tie_draw : callable or float
        ``tie_draw(u) -> strengths`` mapping uniforms to tie strengths (inverse CDF),
        or a number: every tie has that strength (no weight array is stored).
    rng : numpy.random.Generator
        Seeded from the run's ``market_graph`` stream.

    Returns
    -------
    SocialGraph
    """
    shares = np.asarray(segment_shares, dtype=np.float64)
    shares = shares / shares.sum()
    segment = np.minimum(
        np.searchsorted(np.cumsum(shares), rng.random(size), side="right"), shares.size - 1
    ).astype(np.int8)
    fixed = not callable(tie_draw)
    mean_w = float(tie_draw) if fixed else float(np.mean(tie_draw(rng.random(4096))))
    if spec.kind == "well_mixed":
        return SocialGraph(size, segment, np.full(size, -1, np.int32), mean_weight=mean_w)
    clustered = spec.kind == "clustered"
    community = (
        _community_of(size, spec.community_size, rng)
        if clustered
        else np.full(size, -1, dtype=np.int32)
    )
    deg = _degrees(size, spec.mean_degree, spec.degree_shape, rng)
    n_comm = int(community.max()) + 1 if clustered else 0
    within = spec.within_community_share if clustered else 0.0
    pairs = np.zeros(0, dtype=np.int64)
    need = deg
    for _ in range(_REPAIR_ROUNDS):
        owner = np.repeat(np.arange(size, dtype=np.int32), need)
        group = _stub_groups(owner, community, segment, n_comm, shares.size, within, spec, rng)
        pairs = _merge(pairs, _pair_stubs(owner, group, rng))
        del owner, group
        a, b = _unpack(pairs)
        need = np.maximum(deg - np.bincount(a, minlength=size) - np.bincount(b, minlength=size), 0)
        if need.sum() <= _REPAIR_TOLERANCE * deg.sum():
            break
    del deg, need, pairs
    w = np.zeros(0, np.float32) if fixed else tie_draw(rng.random(a.size)).astype(np.float32)
    if not fixed and a.size:
        mean_w = float(w.mean())
    counts = np.bincount(a, minlength=size) + np.bincount(b, minlength=size)
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    weight = np.empty(indices.size if not fixed else 0, dtype=np.float32)
    _fill_csr(size, a, b, w, indptr, indices, weight, not fixed)
    return SocialGraph(
        size, segment, community, indptr, indices, None if fixed else weight, mean_weight=mean_w
    )
