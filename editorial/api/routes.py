"""API endpoints."""

from __future__ import annotations
