"""A finite addressable market on a social graph (``market:`` in a scenario).

:mod:`lab.market.graph` builds the graph (CSR arrays), :mod:`lab.market.state`
keeps who has been won and draws invitations, word of mouth and organic joins.
``docs/market.md`` explains the model and its parameters.
"""

from __future__ import annotations

from lab.market.graph import SocialGraph, build_graph
from lab.market.state import MarketState

__all__ = ["MarketState", "SocialGraph", "build_graph"]
