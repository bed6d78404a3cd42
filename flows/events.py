"""Prefect events for new and changed articles, and the automation that posts them to a webhook.

Every flow that stores articles (``ingest``, ``watch``, ``backfill``, ``reprocess``) emits
``exnews.article.new`` or ``exnews.article.changed`` per article, once per source run, so a
user routes what matters (a listing, a delisting) to Slack, Discord, e-mail or any webhook
with a Prefect Automation and no code. The article is the event's resource; its labels
(source, category, the flow that found it) are what an automation's ``match`` filters on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

PROJECT = Path(__file__).resolve().parent.parent
AUTOMATION_FILE = PROJECT / "automations" / "new-listing-webhook.yaml"
WEBHOOK_BLOCK = "exnews-notify"
OUTCOMES = ("new", "changed")


def _label(value: object) -> str:
    """Resource labels are strings; an absent value is an empty one."""
    return "" if value is None else str(value)


def article_event(outcome: str, row: Mapping[str, Any], flow_name: str) -> dict[str, Any]:
    """The keyword arguments of ``emit_event`` for one stored article row."""
    published_at = row.get("published_at")
    return {
        "event": f"exnews.article.{outcome}",
        "resource": {
            "prefect.resource.id": f"exnews.article.{row['article_id']}",
            "prefect.resource.name": _label(row.get("title"))[:200],
            "exnews.source": _label(row.get("source")),
            "exnews.category": _label(row.get("category")),
            "exnews.flow": flow_name,
        },
        "payload": {
            "article_id": row["article_id"],
            "source": row.get("source"),
            "category": row.get("category"),
            "title": row.get("title"),
            "url": row.get("url"),
            "coins": list(row.get("coins") or []),
            "pairs": list(row.get("pairs") or []),
            "published_at": published_at.isoformat()
            if isinstance(published_at, datetime)
            else None,
        },
    }


def emit_article_events(stored: list[tuple[str, Mapping[str, Any]]]) -> None:
    """One event per ``(outcome, row)``, from inside a flow run only.

    Events are sent by Prefect's background worker; one that cannot be queued is a
    warning, never a failed run: the article is stored either way.
    """
    from prefect import get_run_logger
    from prefect.context import FlowRunContext
    from prefect.events import emit_event

    context = FlowRunContext.get()
    if context is None or context.flow is None or not stored:
        return
    for outcome, row in stored:
        try:
            emit_event(**article_event(outcome, row, context.flow.name))
        except Exception as error:  # an event is a notice: it never costs the data
            article_id = row.get("article_id")
            get_run_logger().warning("could not emit %s for %s: %s", outcome, article_id, error)


def automation_spec(block_document_id: UUID) -> dict[str, Any]:
    """The shipped automation (``automations/new-listing-webhook.yaml``) sending to a block."""
    spec = yaml.safe_load(AUTOMATION_FILE.read_text())
    for action in spec["actions"]:
        if action["type"] == "send-notification":
            action["block_document_id"] = str(block_document_id)
    return spec


def create_notify_automation(webhook_url: str) -> UUID:
    """A Custom Webhook block POSTing to ``webhook_url`` and the shipped automation sending
    to it, replacing earlier ones of the same names, on the API the settings point at.

    Not Prefect's Webhook block and its ``call-webhook`` action: that block's calls share one
    connection pool that each call closes when done, so calls made at once (a run landing
    several listings) fail with ``ReadError`` (seen with Prefect 3.9.1).
    """
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    block = CustomWebhookNotificationBlock(
        name=WEBHOOK_BLOCK,
        url=webhook_url,
        method="POST",
        headers={"Content-Type": "application/json"},
        form_data="{{body}}",  # the action's body as it is: the JSON the automation renders
    )
    automation = AutomationCore.model_validate(
        automation_spec(block.save(WEBHOOK_BLOCK, overwrite=True))
    )
    with get_client(sync_client=True) as client:
        for existing in client.read_automations_by_name(automation.name):
            client.delete_automation(existing.id)
        return client.create_automation(automation)
