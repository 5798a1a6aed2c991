"""API routes for approvals (being built)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["auth"])
