"""The replay paces event time at N× the wall clock, in time-ordered batches (fake clock, no sleeping)."""

from __future__ import annotations

from policecloud.apps.alerts.replay import replay


class FakeFeed:
    def __init__(self, clock) -> None:
        self.clock, self.posts = clock, []

    def request(self, method, path, body=None):
        self.posts.append((round(self.clock.now, 3), [e["id"] for e in body["events"]]))
        return {"accepted": len(body["events"]), "rejected": []}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _event(n: int, seconds: int) -> dict:
    return {"kind": "checkpoint_pass", "id": f"P{n}", "time": f"2026-10-05 08:{seconds // 60:02d}:{seconds % 60:02d}"}


def test_events_are_posted_when_their_time_comes_at_the_given_speed():
    clock = Clock()
    feed = FakeFeed(clock)
    events = [_event(0, 0), _event(1, 0), _event(2, 60), _event(3, 120), _event(4, 600)]
    report = replay(feed, events, speed=60, clock=clock, sleep=clock.sleep)
    # one minute of event time is one second of wall time
    assert feed.posts == [(0.0, ["P0", "P1"]), (1.0, ["P2"]), (2.0, ["P3"]), (10.0, ["P4"])]
    assert (report.sent, report.accepted) == (5, 5)


def test_local_times_and_times_with_an_offset_are_paced_on_one_clock():
    clock = Clock()
    feed = FakeFeed(clock)
    events = [_event(0, 0), {**_event(1, 0), "time": "2026-10-05T00:01:00+00:00"}, _event(2, 120)]
    replay(feed, events, speed=60, clock=clock, sleep=clock.sleep)
    assert feed.posts == [(0.0, ["P0"]), (1.0, ["P1"]), (2.0, ["P2"])]  # 00:01 UTC is 08:01 in Hubei


def test_speed_zero_sends_everything_at_once_in_batches():
    clock = Clock()
    feed = FakeFeed(clock)
    replay(feed, [_event(i, i * 60) for i in range(5)], speed=0, batch_size=2, clock=clock, sleep=clock.sleep)
    assert [ids for _, ids in feed.posts] == [["P0", "P1"], ["P2", "P3"], ["P4"]] and clock.now == 0
