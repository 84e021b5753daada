"""Visits: scheduled visits, visit records (append-only) and their amendments."""
