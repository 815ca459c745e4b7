"""A roll parser that ends its own process at once, as a worker killed mid-parse (out of memory, a
signal) would: `tests/rooms/test_import_isolation.py` puts it in place of `plain_roll`, and the worker
process, which imports it by name, dies on the first file."""

from __future__ import annotations

import os
from typing import Any


def die(*_args: Any) -> Any:
    os._exit(1)
