"""The audit log page: who viewed or changed a child's records (issue 14)."""
