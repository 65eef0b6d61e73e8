"""lowbit hardware: array family."""
