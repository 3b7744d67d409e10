"""Finding an account by id, exact name, part of a name or a misspelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import AccountNotFound, InputError
from store import Store
from workflows.clock import FixedClock
from workflows.importing import import_table
from workflows.lookup import NameIndex, find_account


def test_by_crm_id_in_any_case(demo_store: Store) -> None:
    result = find_account(demo_store, "acc-0000001")
    assert (result.best.name, result.matched_by, result.ambiguous) == ("Acme Corp", "crm id", False)


def test_exact_name_wins_and_carries_the_owner(demo_store: Store) -> None:
    result = find_account(demo_store, "Acme Corp")
    assert result.best.crm_id == "ACC-0000001"
    assert result.best.owner_name == "Jordan Blake"
    assert not result.ambiguous


def test_a_partial_name_shared_by_several_accounts_is_ambiguous(demo_store: Store) -> None:
    result = find_account(demo_store, "acme")
    names = {result.best.name, *(m.name for m in result.alternatives)}
    assert {"Acme Corp", "Acme Health Partners", "Acme Dental Group"} <= names
    assert result.ambiguous


def test_misspelt_names_are_corrected(demo_store: Store) -> None:
    result = find_account(demo_store, "Acmee Corp")
    assert result.best.name == "Acme Corp"
    assert result.corrections == (("acmee", "acme"),)
    assert find_account(demo_store, "Globx").best.name == "Globex Corporation"
    assert find_account(demo_store, "umbrela health").best.name == "Umbrella Health System"


def test_nothing_found_is_a_clear_error(demo_store: Store) -> None:
    with pytest.raises(AccountNotFound, match="No account matches `zzqx`"):
        find_account(demo_store, "zzqx")
    with pytest.raises(InputError, match="Type part of an account name"):
        find_account(demo_store, "   ")


def test_the_name_index_refreshes_after_an_import(demo_store: Store, clock: FixedClock, tmp_path: Path) -> None:
    index = NameIndex()
    with pytest.raises(AccountNotFound):
        find_account(demo_store, "Zyxwvut Labs", index)
    path = tmp_path / "new.csv"
    path.write_text("Account ID,Account Name,ARR\nN-1,Zyxwvut Labs,5000\n")
    import_table(demo_store, path, "accounts", actor="t", clock=clock, errors_file=tmp_path / "e.csv")
    assert find_account(demo_store, "Zyxwvut Labs", index).best.crm_id == "N-1"
    assert find_account(demo_store, "Zyxwvt Labs", index).best.crm_id == "N-1"
