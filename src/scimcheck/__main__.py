"""``python -m scimcheck`` is the ``scimcheck`` command."""

from scimcheck.cli.main import main

raise SystemExit(main())
