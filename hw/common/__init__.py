"""lowbit hardware: common family."""
