"""Today: a practitioner's visits for today and the next days, and the children overdue a visit."""
