"""/v1/rules: merchandising rules (admin): create, list, activate or deactivate, delete.

The core stores them with a revision every change raises; each replica holds the active set
in memory and follows the revision (serving/recommend/live_rules.py), so a change is served
by every replica within about a second. Each list the API serves names, in `rules`, the rules
that changed it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Body as BodyParam
from starlette.concurrency import run_in_threadpool

from core.service_layer import commands, reads
from core.service_layer.messagebus import MessageBus
from core.service_layer.views import View
from features.online import OnlineStore
from features.published import published_items
from serving.core_api import links
from serving.core_api.runtime import CONFLICT, ERRORS, execute, read
from serving.core_api.schemas.fields import IdPath
from serving.core_api.schemas.rules import (
    RuleActiveIn,
    RuleDeleted,
    RuleIn,
    RuleOut,
    RuleSetOut,
    to_command,
)
from serving.deps import CoreDep
from serving.edge.auth import require_scope
from serving.recommend.live_rules import LiveRules, described

router = APIRouter(prefix="/v1/rules", tags=["rules"], responses=ERRORS,
                   dependencies=[Depends(require_scope("admin"))])


@router.post("", status_code=201, response_model=RuleOut,
             responses={**links.RULE, **CONFLICT})
def create_rule(body: Annotated[RuleIn, BodyParam()], bus: CoreDep) -> View:
    """A boost, bury, filter, pin or promotion rule (the `action` says which)."""
    return execute(bus, to_command(body))


@router.get("", response_model=RuleSetOut)
def list_rules(bus: CoreDep) -> View:
    """Every rule, active or not, in the order they were created, and the revision."""
    return read(bus, reads.get_rule_set)


@router.patch("/{rule_id}", response_model=RuleOut)
def set_active(rule_id: IdPath, body: RuleActiveIn, bus: CoreDep) -> View:
    """Activate or deactivate a rule (it stays listed)."""
    return execute(bus, commands.SetRuleActive(rule_id=rule_id, active=body.active))


@router.delete("/{rule_id}", response_model=RuleDeleted)
def delete_rule(rule_id: IdPath, bus: CoreDep) -> View:
    return execute(bus, commands.DeleteRule(rule_id=rule_id))


def live_rules(bus: MessageBus, store: OnlineStore) -> LiveRules:
    """The rules a replica serves with, read from the core's database; the attributes they
    match from the core's catalogue and what the stream saw published, read side by side."""

    async def revision() -> int:
        return await run_in_threadpool(bus.read, reads.rule_set_revision)

    async def load() -> View:
        return await run_in_threadpool(bus.read, reads.get_rule_set)

    async def describe(item_ids: list[str]) -> Mapping[str, Mapping[str, Any]]:
        core, stream = await asyncio.gather(
            run_in_threadpool(bus.read, reads.item_attributes, item_ids=item_ids),
            published_items(store, item_ids), return_exceptions=True)
        return described(core, stream)

    return LiveRules(revision=revision, load=load, describe=describe)
