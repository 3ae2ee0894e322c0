"""The lookups the survey pages call instead of querying in the views (issue 19)."""

from __future__ import annotations

from typing import Any

from surveys.services import queries
from tests import factories


def test_find_cadre_finds_a_cadre_and_none_for_an_unknown_id(make: Any) -> None:
    cadre_id = make(lambda session: factories.make_cadre(session).id)

    def look(session: Any) -> tuple[int | None, Any]:
        found = queries.find_cadre(session, cadre_id)
        return (found.id if found else None), queries.find_cadre(session, cadre_id + 1000)

    assert make(look) == (cadre_id, None)


def test_account_usernames_name_known_accounts_and_skips_unknown_ids(demo: Any, make: Any) -> None:
    def names(session: Any) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
        known = queries.account_usernames(session, {1, 2})
        return (
            known,
            queries.account_usernames(session, {99_999}),
            queries.account_usernames(session, set()),
        )

    known, unknown, empty = make(names)
    assert sorted(known) == [1, 2] and all(known.values())
    assert unknown == {}
    assert empty == {}
