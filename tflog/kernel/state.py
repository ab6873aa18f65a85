"""The one piece of shared state the capture hooks read: the active run.

Hooks read `active_run` once per call and do nothing when it is None, so a
patched `Model.fit` or a leftover wrapper behaves exactly as the original.
"""

from typing import Any

active_run: Any = None
