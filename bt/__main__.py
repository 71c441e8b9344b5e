"""`python -m bt`: the same as the `bt` command."""
from .cli import main

raise SystemExit(main())
