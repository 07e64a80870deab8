"""No Prometheus label value is taken from a request as sent: methods, paths, event types, and
the model and variant names that events carry into the CTR are bounded sets."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import EVENT_TYPES
from serving.analytics.exposition import ctr_series, render
from serving.edge.auth import KeyRing, static_keys
from serving.edge.metrics import METHODS, OTHER, event_type_label, method_label

SERIES = re.compile(r'^(\w+)\{(.*)\} ', re.M)


def label_values(text: str, metric: str, label: str) -> set[str]:
    return {dict(re.findall(r'(\w+)="([^"]*)"', labels))[label]
            for name, labels in SERIES.findall(text) if name == metric}


def test_hostile_methods_and_paths_are_folded(client) -> None:
    for method in ("FOOBAR", "PROPFIND", "get", "X" * 50):
        client.request(method, "/v1/users/u1/recommendations")
    for n in range(30):
        client.get(f"/made/up/{n}")
        client.get(f"/v1/users/u{n}/recommendations")
    text = client.get("/metrics").text
    assert label_values(text, "agora_http_requests_total", "method") <= METHODS | {OTHER}
    assert OTHER in label_values(text, "agora_http_requests_total", "method")
    assert label_values(text, "agora_http_requests_total", "endpoint") <= {
        "unmatched", "/v1/users/{user_id}/recommendations", "/v1/models/reload", "/metrics"}
    assert "made" not in text and "u17" not in text


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=60), st.sampled_from(sorted(EVENT_TYPES)), st.integers()))
def test_method_and_event_type_labels_are_closed_sets(value) -> None:
    assert method_label(str(value)) in METHODS | {OTHER}
    assert event_type_label(value) in EVENT_TYPES | {OTHER}


def _row(model: str, variant: str, served: float, clicks: float) -> dict:
    return {"model": model, "variant": variant, "impressions": served, "clicks": clicks,
            "ctr": {"value": clicks / served, "previous": None, "period_s": 900.0}}


def test_ctr_keeps_models_in_service_and_sums_the_rest_into_other() -> None:
    overview = {
        "models_in_service": [{"alias": "champion", "name": "agora-recommender",
                               "version": "7"}],
        "ctr": [_row("agora-recommender@7", "champion", 100, 10),
                _row("fallback", "champion", 50, 1),
                *(_row(f"invented-{n}@1", "champion", 10, 1) for n in range(200)),
                _row("agora-recommender@7", "made-up-variant", 20, 2)],
    }
    series = ctr_series(overview)
    assert series == {("agora-recommender@7", "champion"): 0.1,
                      ("fallback", "champion"): 0.02,
                      ("other", "champion"): 0.1,
                      ("agora-recommender@7", "other"): 0.1}
    text = render(overview).decode()
    assert "invented" not in text and "made-up" not in text


def test_analytics_domains_are_a_closed_set() -> None:
    fig = {"value": 1.0, "previous": None, "period_s": 60.0}
    text = render({"events_per_s": {"commerce": fig, "evil\"domain": fig}}).decode()
    assert 'domain="commerce"' in text and "evil" not in text


def test_a_flood_of_unknown_keys_does_not_evict_a_valid_one() -> None:
    lookups: list[str] = []
    valid = static_keys([("shop", "shop-key-0123456789", ["storefront"])])
    known = next(iter(valid))

    def lookup(digest: str):
        lookups.append(digest)
        return valid.get(digest)

    ring = KeyRing(lookup=lookup, ttl_s=3600)
    assert ring.find("shop-key-0123456789") is not None
    for n in range(20_000):
        assert ring.find(f"junk-{n}") is None
    assert ring.cached(known) == (True, valid[known])  # still cached, not looked up again
    assert len(lookups) == 20_001 and ring.was_valid(known)
    assert not ring.was_valid(next(d for d in lookups if d != known))
