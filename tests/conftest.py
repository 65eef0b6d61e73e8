"""Shared pytest configuration: Hypothesis settings for every test file.

No deadline (the machine is shared and first calls build lookup tables); under ``CI`` the
examples are derandomized so that a run is reproducible.
"""

import os

from hypothesis import settings

settings.register_profile("lowbit", deadline=None, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("lowbit"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "lowbit")
