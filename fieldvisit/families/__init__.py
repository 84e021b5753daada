"""Families and children: the family page, the child page, and when each child was last seen."""
