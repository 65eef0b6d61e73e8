"""lowbit hardware: fp family."""
