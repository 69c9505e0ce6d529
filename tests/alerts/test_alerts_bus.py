"""The embedded event bus: durable appends, segments, committed offsets, resuming, torn writes."""

from __future__ import annotations

from policecloud.apps.alerts.bus import LocalLogBus


def _events(start: int, n: int) -> list[dict]:
    return [{"id": f"e{i}", "n": i} for i in range(start, start + n)]


def test_published_events_are_read_in_order_across_segments(tmp_path):
    bus = LocalLogBus(tmp_path, segment_events=4)
    assert bus.publish(_events(0, 6)) == 0
    assert bus.publish(_events(6, 5)) == 6
    assert bus.segments() == [0, 4, 8]
    got = bus.read("c", max_events=7)
    got += bus.read("c", max_events=100)
    assert [(d.offset, d.event["n"]) for d in got] == [(i, i) for i in range(11)]
    assert bus.read("c") == []
    bus.close()


def test_a_consumer_resumes_after_its_committed_offset_after_a_restart(tmp_path):
    bus = LocalLogBus(tmp_path, segment_events=3)
    bus.publish(_events(0, 8))
    first = bus.read("alerts", max_events=5)
    bus.commit("alerts", first[2].offset)  # processed 0..2, crashed before committing 3..4
    bus.close()
    reopened = LocalLogBus(tmp_path, segment_events=3)
    assert reopened.end() == 8
    assert reopened.committed("alerts") == 2
    assert [d.offset for d in reopened.read("alerts", max_events=100)] == [3, 4, 5, 6, 7]
    assert [d.offset for d in reopened.read("other", max_events=2)] == [0, 1]  # consumers are independent
    assert reopened.publish(_events(8, 1)) == 8
    reopened.close()


def test_a_torn_last_line_is_cut_off_and_the_log_continues(tmp_path):
    bus = LocalLogBus(tmp_path)
    bus.publish(_events(0, 3))
    bus.close()
    segment = bus.segment_path(0)
    with open(segment, "ab") as handle:
        handle.write(b'{"id":"e3","n"')  # a crash in the middle of a write that was never acknowledged
    reopened = LocalLogBus(tmp_path)
    assert reopened.end() == 3
    reopened.publish(_events(3, 1))
    assert [d.event["id"] for d in reopened.read("c", max_events=10)] == ["e0", "e1", "e2", "e3"]
    reopened.close()


def test_seek_and_sealed_segments(tmp_path):
    bus = LocalLogBus(tmp_path, segment_events=4)
    bus.publish(_events(0, 6))
    assert bus.sealed_segments() == [(0, 4)]
    bus.seal()
    assert bus.sealed_segments() == [(0, 4), (4, 2)]
    bus.publish(_events(6, 1))
    assert bus.segments() == [0, 4, 6]
    bus.seek("c", 5)
    assert [d.offset for d in bus.read("c", max_events=10)] == [5, 6]
    assert [e["n"] for e in bus.read_segment(4)] == [4, 5]
    bus.close()


def test_read_waits_for_new_events_only_up_to_its_timeout(tmp_path):
    bus = LocalLogBus(tmp_path, fsync=False)
    assert bus.read("c", timeout=0.01) == []
    bus.publish(_events(0, 1))
    assert [d.offset for d in bus.read("c", timeout=0.01)] == [0]
    bus.close()


def test_an_empty_log_has_no_sealed_segments(tmp_path):
    bus = LocalLogBus(tmp_path)
    assert bus.sealed_segments() == [] and bus.end() == 0
    bus.seal()
    assert bus.sealed_segments() == []
    bus.close()
