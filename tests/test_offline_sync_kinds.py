"""Item kinds are a contract with tablets in the field (docs/sync-protocol.md): every kind a tablet may
have queued stays registered with the engine, declared by its area's kinds.py, however the areas are named."""
import importlib
from datetime import datetime, timezone

from fieldvisit import records

CONTRACT = {
    "visit": "visits",
    "amendment": "visits",
    "was_not_brought": "was_not_brought",
    "alcohol_audit": "alcohol",
    "bodymap_mark": "bodymap",
    "bodymap_mark_amendment": "bodymap",
    "bodymap_completion": "bodymap",
}


def test_every_kind_tablets_send_is_registered_with_the_engine(app):
    for kind in CONTRACT:
        assert kind in records.engine.appliers, f"the kind {kind!r} is no longer accepted"


def test_each_kind_is_declared_by_its_area_and_applied_by_that_area(app):
    for kind, area in CONTRACT.items():
        declared = importlib.import_module(f"fieldvisit.{area}.kinds").KINDS
        assert kind in declared, f"fieldvisit/{area}/kinds.py does not declare {kind!r}"
        assert records.engine.appliers[kind] is declared[kind]


def test_a_kind_not_in_the_contract_is_refused(client, auth):
    auth.sign_in("demo-worker")
    item = {"id": "0b5f3f1e-7a7e-4f57-9a43-3c2b7f0f9d11", "kind": "audit", "payload": {"fields": {}},
            "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    response = client.post("/api/sync/push", json={
        "device_id": "5d1c7c55-0a7e-4b1a-8d57-1b7b1d6c9e21", "schema_version": 1, "items": [item]})
    assert response.status_code == 200
    [receipt] = response.get_json()["receipts"]
    assert receipt["status"] == "rejected" and "kind" in receipt["errors"]
