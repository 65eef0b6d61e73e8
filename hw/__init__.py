"""lowbit hw package."""
