"""``python -m symmaml`` is the ``symmaml`` console script."""
import sys

from .cli import main

sys.exit(main())
