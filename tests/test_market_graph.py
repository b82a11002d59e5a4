"""The CSR social graph, cross-checked against networkx on small markets."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from lab.market.graph import build_graph
from lab.scenario import GraphSpec

N = 4000
SHARES = np.array([0.2, 0.6, 0.2])


def _graph(seed=1, tie=1.0, **spec):
    return build_graph(GraphSpec(**spec), N, SHARES, tie, np.random.default_rng(seed))


def test_graph_is_simple_undirected_and_reproducible():
    g = _graph(kind="clustered", mean_degree=12, community_size=100)
    a = g.to_scipy()
    assert (a != a.T).nnz == 0  # symmetric
    assert a.diagonal().sum() == 0  # no self-ties
    nxg = g.to_networkx()
    assert nxg.number_of_edges() * 2 == g.indices.size  # no duplicate ties
    h = _graph(kind="clustered", mean_degree=12, community_size=100)
    for name in ("indptr", "indices", "community", "segment"):
        np.testing.assert_array_equal(getattr(g, name), getattr(h, name))
    other = _graph(seed=2, kind="clustered", mean_degree=12, community_size=100)
    assert not np.array_equal(g.indices, other.indices)


def test_tie_strengths_are_symmetric_and_follow_their_distribution():
    g = _graph(tie=lambda u: u.astype(np.float32), kind="random", mean_degree=10)
    a = g.to_scipy()
    assert abs(a - a.T).max() == 0  # one strength per tie, both directions
    w = g.weight
    # uniform(0, 1) strengths: mean 1/2, sd 1/sqrt(12) / sqrt(ties); 5 SE tolerance
    assert abs(w.mean() - 0.5) < 5 / np.sqrt(12 * w.size / 2)
    assert g.mean_weight == pytest.approx(float(w.mean()))


@pytest.mark.parametrize("shape", [None, 1.0])
def test_degree_distribution_of_a_random_graph(shape):
    g = _graph(kind="random", mean_degree=10, degree_shape=shape)
    deg = g.degree()
    # Poisson: variance = mean; gamma-Poisson (shape k): mean + mean^2 / k
    var = 10 if shape is None else 10 + 100 / shape
    # mean within 4 standard errors of N draws (lost stubs are re-paired; the rest,
    # a fraction of a percent, is covered by the 0.05)
    assert abs(deg.mean() - 10) < 4 * np.sqrt(var / N) + 0.05
    assert abs(deg.var() / var - 1) < 0.15


def test_random_graph_matches_networkx_gnm_clustering():
    """Our random graph and networkx's G(n, m) with the same ties have the same
    (vanishing, ~d/N) transitivity and the same degree spread."""
    g = _graph(kind="random", mean_degree=10, degree_shape=None)
    ours = g.to_networkx()
    ref = nx.gnm_random_graph(N, ours.number_of_edges(), seed=7)
    t_ours, t_ref = nx.transitivity(ours), nx.transitivity(ref)
    assert t_ours < 0.01 and t_ref < 0.01
    assert abs(t_ours - t_ref) < 0.003
    d_ref = np.array([d for _, d in ref.degree()])
    assert abs(g.degree().var() / d_ref.var() - 1) < 0.15


def test_clustered_graph_matches_a_networkx_stochastic_block_model():
    """Communities of ~50, 80% of ties inside: transitivity as in networkx's SBM with
    the same block sizes and the same expected within/across ties per person."""
    d, w = 10, 0.8
    g = _graph(kind="clustered", mean_degree=d, degree_shape=None, community_size=50,
               within_community_share=w, homophily=0.0)  # fmt: skip
    sizes = np.bincount(g.community)
    ours = g.to_networkx()
    # SBM: p_in = w d / (s - 1), p_out = (1 - w) d / (N - s) for mean block size s
    s = sizes.mean()
    k = sizes.size
    p = np.full((k, k), (1 - w) * d / (N - s))
    np.fill_diagonal(p, w * d / (s - 1))
    ref = nx.stochastic_block_model(sizes.tolist(), p.tolist(), seed=3)
    t_ours, t_ref = nx.transitivity(ours), nx.transitivity(ref)
    assert t_ours > 10 * nx.transitivity(_graph(kind="random", mean_degree=d).to_networkx())
    assert abs(t_ours / t_ref - 1) < 0.2, (t_ours, t_ref)
    # share of ties inside the community, as declared (less the duplicates dropped)
    a = g.to_scipy().tocoo()
    inside = (g.community[a.row] == g.community[a.col]).mean()
    assert abs(inside - w) < 0.03
    # duplicates are re-paired: the degree comes within 2% of the drawn mean
    # (4 standard errors of a Poisson mean over N people: 4 * sqrt(10 / 4000) = 0.2)
    assert abs(g.degree().mean() - d) < 0.2


def test_homophily_sets_the_share_of_same_segment_ties():
    """Across-community ties: a share h goes to the same segment, the rest to anyone,
    so P(same) = h + (1 - h) * sum(shares^2) with the realised segment shares.
    Tolerance 0.02: ~20,000 ties, binomial SE ~0.0035, times ~2 for ties sharing
    people, times 3."""
    for h in (0.0, 0.6):
        g = _graph(kind="random", mean_degree=10, homophily=h)
        a = g.to_scipy().tocoo()
        same = (g.segment[a.row] == g.segment[a.col]).mean()
        realised = np.bincount(g.segment, minlength=3) / N
        expected = h + (1 - h) * (realised**2).sum()
        assert abs(same - expected) < 0.02, (h, same, expected)
    seg_share = np.bincount(g.segment, minlength=3) / N
    assert np.all(np.abs(seg_share - SHARES) < 4 * np.sqrt(SHARES * (1 - SHARES) / N))


def test_well_mixed_market_stores_no_ties():
    g = _graph(kind="well_mixed")
    assert g.well_mixed and g.indices is None and (g.degree() == N - 1).all()
    assert (g.community == -1).all()
    with pytest.raises(ValueError, match="well-mixed"):
        g.to_scipy()
