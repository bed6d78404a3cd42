"""Article events on a real Prefect server, and the shipped automation posting to a webhook.

A real ``prefect server start`` (its trigger and action services are the feature), a real
ingest against the fixture server, a local webhook receiver on 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.serve import PrefectStack, prefect_server
from tests.faults.harness import wait_for
from tests.fixture_server import FixtureServer, publish_binance, retitle_binance
from tests.flows.webhook_receiver import Receiver, receiving
from warehouse import connect

pytestmark = pytest.mark.prefect

NOTIFIED = ("listing", "delisting")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectStack]:
    with prefect_server(tmp_path_factory.mktemp("prefect-events")) as server:
        yield server


@pytest.fixture
def on_server(prefect_api: PrefectStack) -> Iterator[str]:
    """Flows, blocks, automations and events of this test go to the real server.

    Prefect keeps one events worker per process, bound to the API of the first event it
    sent: in a whole test session that is an earlier test's server, perhaps stopped by now,
    so this test's events need a worker of their own, drained before the server stops.
    """
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api.api_url}):
        EventsWorker.set_client_override(PrefectEventsClient, api_url=prefect_api.api_url)
        try:
            yield prefect_api.api_url
        finally:
            EventsWorker.instance().drain()
            EventsWorker.set_client_override(None)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as server:
        yield server


def titles(root: Path, categories: tuple[str, ...]) -> set[str]:
    rows = connect(root).execute(
        "select title from articles where category in (select unnest(?))", [list(categories)]
    )
    return {title for (title,) in rows.fetchall()}


def events(api_url: str, name: str, since: datetime) -> list[dict[str, Any]]:
    """Every event of ``name`` the server stored since ``since``, all pages."""
    found: list[dict[str, Any]] = []
    with httpx.Client(timeout=30) as client:
        answer = client.post(
            f"{api_url}/events/filter",
            json={"filter": {"event": {"name": [name]}, "occurred": {"since": since.isoformat()}},
                  "limit": 50},
        ).raise_for_status().json()  # fmt: skip
        found += answer["events"]
        while answer.get("next_page"):
            answer = client.get(answer["next_page"]).raise_for_status().json()
            found += answer["events"]
    return found


def test_new_listings_reach_a_webhook_through_the_shipped_automation(
    on_server: str, receiver: Receiver, fixture_server: FixtureServer, warehouse: Path
):
    from flows.events import create_notify_automation
    from flows.ingest import ingest

    create_notify_automation(receiver.url)
    ingest(sources=["binance"], warehouse=str(warehouse))
    expected = titles(warehouse, NOTIFIED)
    assert expected and titles(warehouse, ("maintenance", "other", "product")), "fixtures changed"

    wait_for(lambda: set(receiver.titles()) >= expected, 120, f"{len(expected)} posts", 0.5)
    time.sleep(3)  # anything posted late would be too much
    assert set(receiver.titles()) == expected
    assert {post["article"]["category"] for post in receiver.posts} <= set(NOTIFIED)
    assert len(receiver.posts) == len(expected)  # each once
    first = receiver.posts[0]
    assert first["text"].startswith("New ") and first["article"]["url"] in first["text"]

    # A listing published later: the next run finds it, the webhook is told of it alone.
    receiver.posts.clear()
    new = publish_binance(fixture_server, "Binance Will List Webhook Proof (WHP)")
    ingest(sources=["binance"], warehouse=str(warehouse))
    wait_for(lambda: receiver.posts, 120, "a webhook post for the new listing", 0.5)
    time.sleep(3)
    assert receiver.titles() == [new.title]
    assert "WHP" in receiver.posts[0]["article"]["coins"]


def test_each_run_emits_one_new_event_per_new_article_and_one_changed_per_edit(
    on_server: str, fixture_server: FixtureServer, warehouse: Path
):
    from flows.ingest import ingest

    since = datetime.now(UTC)  # the test before emitted the same ids, earlier
    item = publish_binance(fixture_server, "Binance Will Delist Event Proof (EVP)", 161)
    ingest(sources=["binance"], warehouse=str(warehouse))
    stored = dict(connect(warehouse).execute("select article_id, title from articles").fetchall())

    def new_events() -> list[dict[str, Any]]:
        return events(on_server, "exnews.article.new", since)

    wait_for(lambda: len(new_events()) >= len(stored), 60, "an event per new article", 1)
    emitted = new_events()
    ids = [event["resource"]["prefect.resource.id"] for event in emitted]
    assert sorted(ids) == sorted(f"exnews.article.{article_id}" for article_id in stored)
    proof = next(event for event in emitted if event["payload"]["title"] == item.title)
    assert proof["resource"]["exnews.category"] == "delisting"
    assert proof["resource"]["exnews.flow"] == "ingest"
    assert "EVP" in proof["payload"]["coins"]
    assert proof["payload"]["published_at"].startswith(item.published_at.date().isoformat())

    # An edit of that article: one changed event, no new one.
    edited_since = datetime.now(UTC)
    retitle_binance(
        fixture_server, item.native_id, "Binance Will Delist Event Proof (EVP) (updated)", 161
    )
    ingest(sources=["binance"], warehouse=str(warehouse))

    def changed() -> list[dict[str, Any]]:
        return events(on_server, "exnews.article.changed", edited_since)

    wait_for(changed, 60, "a changed event", 1)
    time.sleep(2)
    assert [event["resource"]["prefect.resource.id"] for event in changed()] == [
        proof["resource"]["prefect.resource.id"]
    ]
    assert events(on_server, "exnews.article.new", edited_since) == []


def test_an_event_that_cannot_be_sent_is_a_warning_not_a_failed_run(
    prefect_backend: str,
    fixture_server: FixtureServer,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    from flows.ingest import ingest

    def refuse(**_: Any) -> None:
        raise ConnectionError("the events endpoint refused")

    monkeypatch.setattr("prefect.events.emit_event", refuse)
    [row] = ingest(sources=["binance"], warehouse=str(warehouse))
    stored = connect(warehouse).execute("select count(*) from articles").fetchall()[0][0]
    assert row["status"] != "failed" and row["items_new"] == stored > 0
    assert caplog.text.count("could not emit new") == stored
