"""lowbit models package."""
