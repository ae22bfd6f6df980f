"""The health document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="`ok` when every readiness check passes (HTTP 200), else `degraded` (503)."
    )
    checks: dict[str, dict[str, Any]] = Field(
        description="One entry per dependency, each with an `ok` flag and non-secret detail."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "checks": {
                        "store": {"ok": True, "backend": "duckdb"},
                        "migrations": {"ok": True, "current": "0001", "latest": "0001"},
                    },
                }
            ]
        }
    )
