"""lowbit hardware: lut family."""
