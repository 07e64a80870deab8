"""OpenAPI links between the core's routes: what one call creates, and the calls that use it.

They document the API's flows (a product created, then restocked and ordered; an order placed,
then paid, cancelled or fulfilled; ...) and are what a stateful fuzzer (schemathesis) follows.
"""

from __future__ import annotations

from typing import Any


def link(path: str, method: str = "get", *, body: Any = None, **parameters: str) -> dict[str, Any]:
    """A link to `method path`, its path parameters and body drawn from the response
    (`$response.body#/…` expressions)."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    found: dict[str, Any] = {"operationRef": f"#/paths/{pointer}/{method}"}
    if parameters:
        found["parameters"] = parameters
    if body is not None:
        found["requestBody"] = body
    return found


def responds(status: int, description: str, **links: dict[str, Any]) -> dict[int | str, Any]:
    """A route's `responses=`: its success with the links it opens."""
    return {status: {"description": description, "links": links}}


_SKU = "$response.body#/sku"
PRODUCT = responds(
    201, "The product",
    GetProduct=link("/v1/catalog/products/{sku}", sku=_SKU),
    UpdateProduct=link("/v1/catalog/products/{sku}", "patch", sku=_SKU),
    GetStock=link("/v1/inventory/{product_id}", product_id=_SKU),
    Restock=link("/v1/inventory/{product_id}/restock", "post", product_id=_SKU),
)
STOCK = responds(
    200, "The product's stock",
    PlaceOrder=link("/v1/orders", "post", body={
        "user_id": "linked-user", "currency": "EUR",
        "lines": [{"product_id": _SKU, "quantity": 1}]}),
)
_ORDER = "$response.body#/order_id"
ORDER = responds(
    201, "The order, its stock reserved",
    GetOrder=link("/v1/orders/{order_id}", order_id=_ORDER),
    PayOrder=link("/v1/orders/{order_id}/pay", "post", order_id=_ORDER),
    CancelOrder=link("/v1/orders/{order_id}/cancel", "post", order_id=_ORDER),
    FulfilOrder=link("/v1/orders/{order_id}/fulfil", "post", order_id=_ORDER),
)
_COMMUNITY = "$response.body#/community_id"
_OWNER = "$response.body#/members/0/user_id"
COMMUNITY = responds(
    201, "The community, its owner its first member",
    GetCommunity=link("/v1/communities/{community_id}", community_id=_COMMUNITY),
    Join=link("/v1/communities/{community_id}/members", "post", community_id=_COMMUNITY),
    Post=link("/v1/communities/{community_id}/posts", "post", community_id=_COMMUNITY,
              body={"author_id": _OWNER, "title": "linked post"}),
)
_POST = "$response.body#/post_id"
POST = responds(
    201, "The post",
    GetPost=link("/v1/communities/posts/{post_id}", post_id=_POST),
    Comment=link("/v1/communities/posts/{post_id}/comments", "post", post_id=_POST,
                 body={"author_id": "$response.body#/author_id", "body": "linked comment"}),
    Vote=link("/v1/communities/votes", "post", body={
        "target_type": "post", "target_id": _POST, "user_id": "$response.body#/author_id",
        "value": 1}),
    Report=link("/v1/communities/reports", "post", body={
        "target_type": "post", "target_id": _POST, "user_id": "linked-user",
        "reason": "linked report"}),
)
_SHOW = "$response.body#/show_id"
SHOW = responds(
    201, "The show",
    GetShow=link("/v1/podcasts/shows/{show_id}", show_id=_SHOW),
    PublishEpisode=link("/v1/podcasts/shows/{show_id}/episodes", "post", show_id=_SHOW),
)
_RULE = "$response.body#/rule_id"
RULE = responds(
    201, "The rule, and the rule set's revision after it",
    ListRules=link("/v1/rules"),
    Deactivate=link("/v1/rules/{rule_id}", "patch", rule_id=_RULE, body={"active": False}),
    Activate=link("/v1/rules/{rule_id}", "patch", rule_id=_RULE, body={"active": True}),
    DeleteRule=link("/v1/rules/{rule_id}", "delete", rule_id=_RULE),
)
