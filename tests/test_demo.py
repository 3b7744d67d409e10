"""The demo workspace: deterministic, realistic, and never loaded over real data by accident."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.demo import demo_workspace
from engine.errors import InputError, StoreNotEmpty
from store import Store, records
from workflows.clock import FixedClock
from workflows.demo import load_demo


def test_same_seed_same_workspace_different_seed_different() -> None:
    a = demo_workspace(1_000, seed=3)
    b = demo_workspace(1_000, seed=3)
    c = demo_workspace(1_000, seed=4)
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    assert not a.accounts["arr"].equals(c.accounts["arr"])


def test_the_base_has_a_long_tail_and_the_shape_segmentation_meets() -> None:
    accounts = demo_workspace(5_000).accounts
    arr = accounts["arr"].sort_values(ascending=False)
    top_5_percent = arr.head(len(arr) // 20).sum() / arr.sum()
    assert top_5_percent > 0.4, "a few percent of accounts carry most of the ARR"
    assert accounts["crm_id"].is_unique and accounts["name"].is_unique
    assert {"hospital", "private practice", "home health"} <= set(accounts["setting"].dropna())
    assert set(accounts["region"]) == {"NA", "EMEA", "APAC", "LATAM"}
    assert 3 <= accounts["strategic"].sum() < len(accounts) * 0.02
    assert accounts["owner"].isna().sum() >= 3
    assert (accounts["potential_arr"].dropna() >= accounts.loc[accounts["potential_arr"].notna(), "arr"]).all()
    for gap in ("employees", "potential_arr", "nps"):
        assert accounts[gap].isna().any()


def test_the_team_has_twelve_csms_three_managers_and_uneven_books() -> None:
    workspace = demo_workspace(2_000)
    roles = workspace.csms["role"].value_counts().to_dict()
    assert roles["csm"] == 12 and roles["manager"] == 3
    books = workspace.accounts["owner"].value_counts()
    assert books.max() > 2 * books.min()
    csm_ids = set(workspace.csms.loc[workspace.csms["role"] == "csm", "id"])
    assert set(books.index) <= csm_ids


def test_loading_refuses_a_store_with_data_unless_told(store: Store, clock: FixedClock) -> None:
    load_demo(store, actor="t", clock=clock)
    with pytest.raises(StoreNotEmpty, match="Pass --replace"):
        load_demo(store, actor="t", clock=clock)
    skipped = load_demo(store, actor="t", clock=clock, if_empty=True)
    assert not skipped.loaded
    replaced = load_demo(store, actor="t", clock=clock, accounts=1_500, replace=True)
    assert replaced.replaced_accounts == 1_000
    assert records.count(store, "accounts") == 1_500
    store.conn.execute("INSERT INTO accounts_fts(accounts_fts) VALUES ('integrity-check')")


def test_sizes_outside_the_range_are_refused(store: Store, clock: FixedClock) -> None:
    with pytest.raises(InputError, match="1,000 to 1,000,000"):
        load_demo(store, actor="t", clock=clock, accounts=10)
