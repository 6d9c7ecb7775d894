"""Command line: ``python -m course_utils gpu | memory MODEL | license MODEL``."""

from .cli import main

raise SystemExit(main())
