"""``python -m engine``: the engine's command-line tools."""
from .cli import main

raise SystemExit(main())
