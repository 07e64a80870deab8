"""The demo's simulated users click on what the API actually served them."""

from __future__ import annotations

from launch.simulator.traffic import ServedList, Traffic


def test_simulated_clicks_are_on_served_lists_of_the_model_in_service(client) -> None:
    served: dict[str, tuple[str, ...]] = {}

    def recommend(user_id: str) -> ServedList | None:
        r = client.get(f"/v1/users/{user_id}/recommendations", params={"k": 10})
        body = r.json()
        assert r.headers["x-agora-model"] == "agora-recommender@1"
        served[body["request_id"]] = tuple(i["item_id"] for i in body["items"])
        return ServedList(request_id=body["request_id"], items=served[body["request_id"]])

    traffic = Traffic(seed=3, recommend=recommend, open_sessions=20)
    events = [traffic.next() for _ in range(1500)]
    clicks = [e for e in events if isinstance(e, dict)
              and e["event_type"] == "recommendation_clicked"]
    assert clicks and served
    assert all(c["item_id"] in served[c["request_id"]] for c in clicks)
    # the API publishes the served events itself; the simulator makes none up
    assert not [e for e in events if isinstance(e, dict)
                and e["event_type"] == "recommendation_served"]
    assert 0.05 < len(clicks) / len(served) < 0.2
