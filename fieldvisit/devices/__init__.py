"""Registered devices: the tablets that sync, and revoking a lost one (issue 14)."""
