"""``python -m scimcheck`` is the ``scimcheck`` command."""

from scimcheck.cli import main

raise SystemExit(main())
