"""lowbit hardware: block family."""
