"""``python -m lpweb {emulator,chat,bot}``: see :mod:`lpweb.cli`."""

from __future__ import annotations

import sys

from lpweb.cli import main

if __name__ == "__main__":
    sys.exit(main())
