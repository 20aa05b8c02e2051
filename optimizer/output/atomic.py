"""One file written whole or not at all."""

import os
import uuid
from pathlib import Path


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary name beside ``path``, then rename it onto ``path``."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as file:
            file.write(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
