"""Sync conflicts: a record id that arrived twice with different content, for the team lead to review."""
