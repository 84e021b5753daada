"""Alcohol: the AUDIT-C (and full AUDIT) self-assessment done with a parent on a visit (rule 14)."""
