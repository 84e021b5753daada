"""Short help pages, one per area, linked from every page's footer (issue 12)."""
