"""Console: shared folders (filled in by the Files issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
