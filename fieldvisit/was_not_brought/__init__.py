"""Was Not Brought: a child's missed appointments, their running count and the rules they raise (rules 8-9)."""
