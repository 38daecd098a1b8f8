"""``python -m arinb`` is the ``arinb`` command (for environments whose scripts folder is not on PATH)."""

import sys

from arinb.cli import main

sys.exit(main())
