"""Escalations and concerns the rules raise, and the team lead's dashboard where they land."""
