"""A job's packed item ids give back exactly the ids and positions a list and a dict would."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.workflow.item_ids import ItemIds

_uuids = st.uuids().map(str)
_any_ids = st.one_of(_uuids, st.text(min_size=0, max_size=40))


def _assert_like_list_and_dict(ids: list[str]) -> None:
    packed = ItemIds(ids)
    assert len(packed) == len(ids)
    assert list(packed) == ids
    assert [packed[n] for n in range(len(ids))] == ids
    last = {item_id: n for n, item_id in enumerate(ids)}
    for item_id, position in last.items():
        assert packed.get(item_id) == position
        assert packed.position(item_id) == position
        assert item_id in packed


@given(st.lists(_uuids, max_size=300, unique=True))
def test_uuid_ids_round_trip_exactly(ids: list[str]) -> None:
    """Canonical UUID ids come back as the same strings, each found at its own position."""
    _assert_like_list_and_dict(ids)


@given(st.lists(_any_ids, max_size=200))
def test_any_ids_round_trip_exactly(ids: list[str]) -> None:
    """Any mix of ids (non-UUIDs, unicode, empty, repeated) comes back exactly; a repeated id
    is found at its last position."""
    _assert_like_list_and_dict(ids)


@pytest.mark.parametrize(
    "odd",
    [
        "6F9619FF-8B86-D011-B42D-00C04FC964FF",  # upper case
        "{6f9619ff-8b86-d011-b42d-00c04fc964ff}",  # braces
        "6f9619ff8b86d011b42d00c04fc964ff",  # no hyphens
    ],
)
def test_an_id_that_only_parses_as_a_uuid_keeps_its_spelling(odd: str) -> None:
    """A UUID spelled differently from Pleo's canonical form is kept as it was written, and
    the canonical spelling of the same UUID is not mistaken for it."""
    ids = [str(uuid.uuid4()), odd]
    packed = ItemIds(ids)
    assert list(packed) == ids
    assert packed.get(odd) == 1
    assert packed.get(str(uuid.UUID(odd))) is None


def test_unknown_ids_are_not_found() -> None:
    """Ids the job does not list (UUID or not) have no position."""
    packed = ItemIds([str(uuid.uuid4()) for _ in range(50)])
    assert packed.get(str(uuid.uuid4())) is None
    assert packed.get("not-a-uuid") is None
    assert "not-a-uuid" not in packed
    with pytest.raises(KeyError):
        packed.position("not-a-uuid")
    with pytest.raises(IndexError):
        packed[50]
    assert ItemIds([]).get("x") is None


def test_uuid_ids_are_held_as_sixteen_bytes_each() -> None:
    """The cache is charged 16 bytes per UUID id plus the lookup table, not a string per id."""
    ids = [str(uuid.uuid4()) for _ in range(1000)]
    packed = ItemIds(ids)
    assert packed.nbytes == 16 * 1000 + 4 * 2048
