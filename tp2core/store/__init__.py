"""Durable run records: the SQLite store and the per-run locks."""

from .database import Store

__all__ = ["Store"]
