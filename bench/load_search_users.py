"""The simulated clients of ``bench/load_search.py`` (a locustfile; that command runs it, with its settings).

Three kinds of client, each run by its own headless locust process so that they are separate clients:

- ``Searcher``: an analyst's ``GET /api/search`` with a purpose, one query drawn from the indexed data, then a
  pause (``search_wait`` seconds, uniform);
- ``LoginFlood``: ``POST /api/auth/login`` for unknown usernames with no pause (401 and 429 are the expected
  answers, so they count as successes; anything else is a failure);
- ``Intake``: a feed account posting batches of checkpoint passes at a fixed rate per client.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from datetime import UTC, datetime

from locust import FastHttpUser, between, constant, constant_throughput, events, task

CONF = json.loads(os.environ.get("LOAD_SEARCH_CONF", "{}"))
PURPOSE = "case:A4201112026110001"
ANSWERED: dict[str, int] = {}  # request name -> successful answers, also those finished while stopping
STATUSES: dict[str, int] = {}  # login flood: answers by status


@events.request.add_listener
def _count(name: str, exception: Exception | None = None, **_kwargs: object) -> None:
    if exception is None:
        ANSWERED[name] = ANSWERED.get(name, 0) + 1


@events.quitting.add_listener
def _write_counts(**_kwargs: object) -> None:
    if path := os.environ.get("LOAD_SEARCH_COUNTS"):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({**ANSWERED, "statuses": STATUSES}, fh)


class Searcher(FastHttpUser):
    wait_time = between(*CONF.get("search_wait", (0.1, 0.3)))

    def on_start(self) -> None:
        self.rng = random.Random()
        self.headers = {"Authorization": f"Bearer {CONF['search_token']}"}
        self.wait()  # analysts arrive independently: a first pause too, not all N searches in the same millisecond

    @task
    def search(self) -> None:
        from urllib.parse import urlencode

        query = urlencode({"q": self.rng.choice(CONF["queries"]), "purpose": PURPOSE})
        self.client.get(f"/api/search?{query}", headers=self.headers, name="search")


class LoginFlood(FastHttpUser):
    wait_time = constant(0)

    @task
    def login(self) -> None:
        body = {"username": f"nobody-{secrets.token_hex(6)}", "password": "not-the-password-1", "client": "api"}
        with self.client.post("/api/auth/login", json=body, name="login", catch_response=True) as response:
            STATUSES[str(response.status_code)] = STATUSES.get(str(response.status_code), 0) + 1
            if response.status_code in (401, 429):
                response.success()
            else:
                response.failure(f"unexpected status {response.status_code}")


class Intake(FastHttpUser):
    wait_time = constant_throughput(CONF.get("intake_posts_per_s", 5))

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {CONF.get('feed_token', '')}"}
        self.sent = 0

    @task
    def post_batch(self) -> None:
        stamp = datetime.now(UTC).isoformat()
        batch = []
        for _ in range(CONF.get("intake_batch", 1000)):
            self.sent += 1
            batch.append(
                {
                    "kind": "checkpoint_pass",
                    "id": f"L{os.getpid()}-{id(self)}-{self.sent}",
                    "time": stamp,
                    "checkpoint": "4201110001",
                    "plate": f"鄂C{self.sent % 100000:05d}",
                }
            )
        self.client.post("/api/events", json={"events": batch}, headers=self.headers, name="events")
