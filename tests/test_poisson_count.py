"""The staff invites' daily count equals scipy.stats' Poisson inverse CDF (issue 16 item 3:
the engine computes it from scipy.special, without importing scipy.stats)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from lab.agents.counts import poisson_ppf


@pytest.mark.parametrize("mu", [0.01, 0.8, 3.7, 8.0, 40.0, 1234.5])
def test_same_counts_as_scipy_stats(mu):
    rng = np.random.default_rng(9)
    q = np.concatenate([rng.random(5000), [0.0, 1e-300, 0.5, 1 - 2**-53]])
    mine = np.array([poisson_ppf(float(x), mu) for x in q])
    np.testing.assert_array_equal(mine, poisson.ppf(q, mu))


def test_engine_does_not_import_scipy_stats():
    import subprocess
    import sys

    code = "import sys, lab.model; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
