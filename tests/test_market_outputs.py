"""Seed customers (KOC), social proof, ties, referral trees, K-factor over time, plots."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import matplotlib.text
import networkx as nx
import numpy as np
import pytest

import lab
from lab.analysis import (
    k_factor_by_period,
    koc_reach,
    market_reach,
    referral_tree,
    referral_trees,
)
from lab.model import PoolModel
from lab.plots import plot_market_reach, plot_referral_cascade
from tests.conftest import bare
from tests.test_market import _strong_referrals


def _scenario(days=150, seeds=0, **market):
    graph = {"kind": "clustered", "mean_degree": 10, "degree_shape": 0.7, "community_size": 60}
    graph.update(market.pop("graph", {}))
    return lab.scenario_from_dict(
        bare(
            100,
            days,
            acquisition={"referral": {"enabled": True, "friends_per_share": 2.0}},
            traits={
                "default": {
                    "referral_propensity": {"dist": "beta", "mean": 0.2, "concentration": 4},
                    "propensity_per_day": {"dist": "gamma", "mean": 0.05, "shape": 2},
                }
            },
            dropout={"after_purchase": False, "per_day": False},
            market={
                "size": 5000,
                "acceptance": 0.5,
                "graph": graph,
                "seed_customers": {"count": seeds, "referral_propensity": 0.9},
                **market,
            },
        )
    )


def _run(sc, seed=3):
    m = PoolModel(sc, seed=seed)
    m.run_model()
    return m, lab.RunResult(m)


@pytest.fixture(scope="module")
def koc_run():
    return _run(_scenario(seeds=20))


def test_seed_customers_are_the_best_connected_and_carry_the_fission(koc_run):
    m, res = koc_run
    c = res.customers
    seeds = c[c["channel"] == "seed"]
    assert len(seeds) == 20 and (seeds["cohort_day"] == 0).all()
    assert np.allclose(seeds["referral_propensity"], 0.9)
    deg = m.market.graph.degree()
    assert deg[seeds["person"]].min() >= np.sort(deg)[-20]  # the top 20 by degree
    r = koc_reach(res)
    assert r["seeds"] == 20 and r["referred"] == (c["referrer"] >= 0).sum()
    # 6% of the customers, well-connected and eager to share: far more than 6% of the
    # fission flows through their trees (seed 3: 44%), and each seed tree brings more
    assert r["share_of_referred"] > 3 * r["share_of_customers"]
    assert r["referred_per_seed"] > 2 * r["referred_per_other_root"]
    assert 0 < r["share_direct"] <= r["share_of_referred"]
    first = seeds.iloc[0]
    assert (
        f"person {first['person']}, community {first['community']}"
        in res.customer(int(first["customer_id"])).to_text()
    )


def test_referral_trees_match_networkx_ancestry(koc_run):
    _, res = koc_run
    t = referral_tree(res)
    c = res.customers
    assert (t["root"].to_numpy() == c["root"].to_numpy()).all()
    assert (t["depth"].to_numpy() == c["referral_depth"].to_numpy()).all()
    g = nx.DiGraph()
    g.add_nodes_from(c["customer_id"])
    ref = c[c["referrer"] >= 0]
    g.add_edges_from(zip(ref["referrer"], ref["customer_id"], strict=True))
    assert nx.is_forest(g)
    for cid in c["customer_id"].sample(60, random_state=1):
        anc = nx.ancestors(g, cid)
        root = next((a for a in anc if g.in_degree(a) == 0), cid)
        assert t.loc[cid, "root"] == root
        assert t.loc[cid, "depth"] == nx.shortest_path_length(g, root, cid)
    trees = referral_trees(res)
    assert trees["size"].sum() == len(t[t["root"].isin(trees["root"])])
    assert (trees["invited"] == trees["size"] - 1).all() and trees["size"].is_monotonic_decreasing
    assert trees["depth"].max() == t["depth"].max() >= 3


def test_k_factor_by_period_adds_up(koc_run):
    _, res = koc_run
    k = k_factor_by_period(res, period_days=30)
    c = res.customers
    referred = int((c["referrer"] >= 0).sum())
    assert k["referred"].sum() == referred and k["new_customers"].sum() == len(c)
    # every referred customer has an inviter in exactly one cohort
    assert (k["k_cohort"] * k["cohort_customers"]).sum() == pytest.approx(referred)
    assert k["invitations"].sum() == res.daily["invitations"].sum()
    assert k["invitations"].sum() >= referred
    ok = k["customers_at_start"] > 0
    assert np.allclose(
        k.loc[ok, "k_period"], k.loc[ok, "referred"] / k.loc[ok, "customers_at_start"]
    )
    with pytest.raises(ValueError, match="period_days"):
        k_factor_by_period(res, 0)


def test_social_proof_and_reinvites_reach_more_people():
    """Same seed, same graph: friends who see more customer friends accept more often;
    once referrals have run out of friends to invite (see test_market), letting
    declined friends be invited again after 14 days reaches more people."""
    _, base = _run(_scenario(days=120))
    _, proof = _run(_scenario(days=120, social_proof={"strength": 4.0}))
    assert len(proof.customers) > 1.1 * len(base.customers)
    once = lab.run(_strong_referrals(paid=False, days=150), seed=4).daily
    again = lab.run(_strong_referrals(paid=False, days=150, reinvite_after_days=14), seed=4).daily
    assert again["customers"].iloc[-1] > 1.1 * once["customers"].iloc[-1]
    assert again["invitations"].iloc[-30:].sum() > 0 == once["invitations"].iloc[-30:].sum()
    rate = lambda r: r.daily["invitations_accepted"].sum() / r.daily["invitations"].sum()  # noqa: E731
    assert rate(proof) > rate(base) + 0.05


def test_strong_ties_accept_more_often():
    """Invitations go to friends in proportion to tie strength; with tie_elasticity the
    strong ties also accept more, so accepted ties are stronger still."""

    def accepted_tie_strength(elasticity):
        m, res = _run(_scenario(days=100, tie_elasticity=elasticity))
        g, c = m.market.graph, res.customers
        ref = c[c["referrer"] >= 0]
        inviter = c["person"].to_numpy()[ref["referrer"].to_numpy()]
        w = []
        for p, q in zip(inviter, ref["person"], strict=True):
            lo, hi = g.indptr[p], g.indptr[p + 1]
            w.append(g.weight[lo:hi][g.indices[lo:hi] == q][0])
        return np.mean(w), g.mean_weight

    flat, mean_w = accepted_tie_strength(0.0)
    steep, _ = accepted_tie_strength(3.0)
    assert flat > mean_w + 0.05  # picked in proportion to strength: E[w^2]/E[w] > E[w]
    assert steep > flat + 0.03


def test_market_reach_and_plots(koc_run, tmp_path):
    _, res = koc_run
    reach = market_reach(res)
    assert reach.attrs["market_size"] == 5000
    assert np.allclose(reach["share_reached"], reach["customers"] / 5000)
    for lang in ("en", "zh"):
        with warnings.catch_warnings():  # a missing CJK glyph would draw a box: an error
            warnings.filterwarnings("error", message=".*missing from font.*")
            ax = plot_referral_cascade(res, lang=lang, max_customers=120)
            points = sum(len(col.get_offsets()) for col in ax.collections[1:])
            assert 0 < points <= 120 + 20  # dots (+ KOC stars drawn on top)
            assert ax.get_title(loc="left") == lab.i18n.label("title_cascade", lang)
            ax2 = plot_market_reach(res, lang=lang, bass=(0.001, 0.1))
            assert len(ax2.lines) == 3  # reached, of which by referral, Bass
            by_ref = ax2.lines[1].get_ydata()
            assert np.all(by_ref <= ax2.lines[0].get_ydata() + 1e-12) and by_ref[-1] > 0
            assert ax2.get_ylabel() == lab.i18n.label("market_reached_share", lang)
            for a, name in ((ax, "cascade"), (ax2, "reach")):
                texts = "".join(t.get_text() for t in a.figure.findobj(matplotlib.text.Text))
                assert (lang == "zh") == any("\u4e00" <= ch <= "\u9fff" for ch in texts)
                a.figure.savefig(tmp_path / f"{name}_{lang}.png")
                assert (tmp_path / f"{name}_{lang}.png").stat().st_size > 5_000
        plt.close("all")
    with pytest.raises(ValueError, match=r"market\.size"):
        market_reach(lab.run(bare(50, 5), seed=1))


def test_community_groups_draw_members_from_graph_communities():
    """With a market, groups (社群) fill from the social graph's communities: every
    group's members share its community, which is a real graph cluster (id >= 0)."""
    sc = _scenario(
        days=40,
        seeds=0,
        graph={"community_size": 40},
    ).model_dump(mode="json")
    sc["strategies"] = [{"type": "community_groups", "join_probability": 1.0}]
    m, _ = _run(lab.scenario_from_dict(sc), seed=2)
    groups = next(s for s in m.strategies if hasattr(s, "group_of"))
    n = m.pop.n
    member = groups.group_of[:n] >= 0
    assert member.sum() > 0.8 * n  # everyone joins (some may have left after a block)
    code_to_comm = {g.code: g.community for g in groups.groups}
    comm_of_group = np.array([code_to_comm[c] for c in groups.group_of[:n][member]])
    assert (comm_of_group == m.pop.community[:n][member]).all()
    assert (comm_of_group >= 0).all()
