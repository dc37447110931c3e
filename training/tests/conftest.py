"""Lets the tests import the flat training modules (data, model, train, ...)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
