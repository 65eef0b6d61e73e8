"""lowbit sim package."""
