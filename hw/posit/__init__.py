"""lowbit hardware: posit family."""
