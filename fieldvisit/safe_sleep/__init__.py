"""Rule 12: co-sleeping risk (safe sleep) for babies under 12 months."""
