"""Admin: the practitioners and teams of the instance (admins see no family records)."""
