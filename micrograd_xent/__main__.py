"""``python -m micrograd_xent`` is the ``micrograd-xent`` command."""

from .cli import main

raise SystemExit(main())
