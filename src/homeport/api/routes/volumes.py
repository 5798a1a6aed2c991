"""API: volumes (filled in by the Files issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["files"])
