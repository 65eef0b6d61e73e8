"""lowbit verif package."""
