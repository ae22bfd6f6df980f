"""The audit routes (admin only): cursor pages, verification, export."""

from __future__ import annotations

import io
import json

import polars as pl
import sqlalchemy as sa

from tests.integration.api.conftest import Api, assert_error


def test_events_pages_and_filters(api: Api) -> None:
    first = api.get("admin", "/api/v1/audit/events/", params={"limit": 3}).json()
    assert len(first["results"]) == 3 and first["next_before_seq"] == first["results"][-1]["seq"]
    seqs = [e["seq"] for e in first["results"]]
    assert seqs == sorted(seqs, reverse=True)
    rest = api.get(
        "admin", "/api/v1/audit/events/", params={"before_seq": first["next_before_seq"]}
    ).json()
    assert rest["next_before_seq"] is None and len(rest["results"]) == 8 - 3
    created = api.get("admin", "/api/v1/audit/events/", params={"action": "user.created"}).json()[
        "results"
    ]
    assert {e["payload"]["username"] for e in created} == {"admin", "owner", "approver", "member"}
    owner = api.users["owner"].id
    about = api.get("admin", "/api/v1/audit/events/", params={"subject_id": owner}).json()
    assert {e["action"] for e in about["results"]} == {"user.created"}
    assert_error(api.get("admin", "/api/v1/audit/events/", params={"limit": 501}), 422)
    assert_error(api.get("admin", "/api/v1/audit/events/", params={"action": "DROP TABLE"}), 422)
    assert_error(api.get("member", "/api/v1/audit/events/"), 403)


def test_verify_and_tamper(api: Api) -> None:
    ok = api.post("admin", "/api/v1/audit/verify/").json()
    assert ok["ok"] is True and ok["count"] == 8 and ok["kind"] is None
    again = api.post("admin", "/api/v1/audit/verify/", json={"expected_head": ok["head_hash"]})
    assert again.json()["ok"] is True
    stale = api.post("admin", "/api/v1/audit/verify/", json={"expected_head": "0" * 64})
    assert stale.json()["ok"] is False and stale.json()["kind"] == "truncated"
    bad = api.post("admin", "/api/v1/audit/verify/", json={"expected_head": "xyz"})
    assert "expected_head" in assert_error(bad, 422)["fields"]
    with api.rt.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET actor_label = 'mallory' WHERE seq = 3"))
    broken = api.post("admin", "/api/v1/audit/verify/").json()
    assert broken["ok"] is False and broken["broken_seq"] == 3 and broken["kind"] == "edited"
    assert_error(api.post("owner", "/api/v1/audit/verify/"), 403)


def test_export_streams_a_file(api: Api) -> None:
    parquet = api.get("admin", "/api/v1/audit/export/")
    assert parquet.status_code == 200
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert "desk-audit.parquet" in parquet.headers["content-disposition"]
    frame = pl.read_parquet(io.BytesIO(parquet.content))
    assert frame.height == 8 and frame["seq"].to_list() == list(range(1, 9))
    jsonl = api.get("admin", "/api/v1/audit/export/", params={"format": "jsonl"})
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    assert len(lines) == 8 and lines[0]["action"] == "user.created"
    assert_error(api.get("admin", "/api/v1/audit/export/", params={"format": "csv"}), 422)
    assert_error(api.get("approver", "/api/v1/audit/export/"), 403)
