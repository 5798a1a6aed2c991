"""Console: file services (filled in by the Files issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
