"""``python -m clusapi.testing.faults``: run (or replay) seeded fault schedules.

Example: ``python -m clusapi.testing.faults --seed 123 --steps 200`` replays one seed and
prints its report; a failing seed prints this command with its own arguments.
"""

from __future__ import annotations

import sys

from ._faults import main

if __name__ == "__main__":
    sys.exit(main())
