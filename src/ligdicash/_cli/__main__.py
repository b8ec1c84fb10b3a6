"""``python -m ligdicash._cli``: the same as the ``ligdicash`` command."""

from __future__ import annotations

from . import main

main()
