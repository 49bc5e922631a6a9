"""ticketing package."""
