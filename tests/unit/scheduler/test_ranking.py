"""decide() ranks only as far as it is read, with the same order as sorting every host."""

from __future__ import annotations

import random

import numpy as np
import pytest

from services.scheduler.bench import scheduler_parts, simulated_hosts, simulated_requests, table_of
from services.scheduler.config import SchedulerConfig
from services.scheduler.manager import Ranking, decide


def eager(names: list[str], rows: np.ndarray, totals: np.ndarray, subset: int) -> list[str]:
    """The definition: a stable sort of every row, best first, the first `subset` shuffled."""
    order = np.argsort(-totals, kind="stable")
    ranked = [names[int(rows[i])] for i in order]
    if len(ranked) > 1 and subset > 1:
        head = ranked[:subset]
        random.shuffle(head)
        ranked[: len(head)] = head
    return ranked


@pytest.mark.parametrize("seed", range(40))
def test_ranking_equals_the_full_stable_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = int(rng.integers(0, 400))
    names = [f"h{i}" for i in range(count + 10)]
    rows = np.sort(rng.choice(len(names), size=count, replace=False)).astype(np.intp)
    # Few distinct weights: ties everywhere, across the prefix boundary too.
    totals = rng.integers(0, int(rng.integers(1, 6)), size=count).astype(float)
    subset = int(rng.choice([1, 1, 3, 40]))
    random.seed(seed)
    expected = eager(names, rows, totals, subset)
    random.seed(seed)
    ranking = Ranking(names, rows, totals, subset)
    assert len(ranking) == len(expected)
    assert ranking[:3] == expected[:3]
    assert ranking[1:4] == expected[1:4]
    assert list(ranking) == expected
    assert ranking == expected
    if expected:
        assert ranking[-1] == expected[-1]


def test_ranking_keeps_the_names_of_the_moment_it_was_made() -> None:
    names = [f"h{i}" for i in range(200)]
    totals = np.arange(200, dtype=float)
    ranking = Ranking(names, np.arange(200, dtype=np.intp), totals, 1)
    names[0] = "renamed"  # the table renumbered a row after the decision
    assert ranking[-1] == "h0"


def test_decide_over_a_simulated_cloud_ranks_like_the_full_sort() -> None:
    config = SchedulerConfig()
    host_filters, host_weighers = scheduler_parts(config)
    table = table_of(simulated_hosts(3000, seed=3))
    for request in simulated_requests(30, seed=3):
        decision = decide(host_filters, host_weighers, table, request.spec)
        weighed = decision.weighed
        assert list(decision.ranked) == eager(table.names, weighed.rows, weighed.totals, 1)
