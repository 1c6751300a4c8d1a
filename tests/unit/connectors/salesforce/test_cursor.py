from datetime import UTC, datetime, timedelta

from connectors.salesforce.cursor import StreamCursor

T0 = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def test_ties_at_the_cursor_are_kept_and_skipped() -> None:
    c = StreamCursor().advance("00Q1", T0).advance("00Q2", T0)
    saved = StreamCursor.load(c.dump())
    assert saved == c
    assert saved.seen("00Q1", T0)
    assert saved.seen("00Q2", T0)
    assert not saved.seen("00Q3", T0)                    # same timestamp, new id: read it
    assert saved.seen("00Q9", T0 - timedelta(milliseconds=1))   # earlier in the same second: old
    assert not saved.seen("00Q1", T0 + timedelta(seconds=1))    # modified again: read it


def test_cursor_moves_forward_only() -> None:
    c = StreamCursor().advance("a", T0)
    later = c.advance("b", T0 + timedelta(seconds=1))
    assert later.ts == T0 + timedelta(seconds=1)
    assert later.ids == {"b"}
    assert later.advance("c", T0) == later


def test_full_reread_never_goes_behind_the_saved_cursor() -> None:
    saved = StreamCursor(T0, frozenset({"x"}))
    fresh = StreamCursor().advance("a", T0 - timedelta(days=1))
    assert fresh.at_least(saved) == saved
    tie = StreamCursor(T0, frozenset({"y"}))
    assert tie.at_least(saved).ids == {"x", "y"}
    ahead = StreamCursor(T0 + timedelta(seconds=5), frozenset({"z"}))
    assert ahead.at_least(saved) == ahead


def test_empty_cursor_round_trip() -> None:
    assert StreamCursor.load(None) == StreamCursor()
    assert StreamCursor.load({}) == StreamCursor()
    assert StreamCursor().dump() == {}
    assert StreamCursor.load({"ts": "2024-05-01T12:00:00.250Z", "ids": ["b", "a"]}).ids == {"a", "b"}
