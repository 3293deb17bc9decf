"""The installation's secret key, kept outside the database: invite codes are stored as a keyed hash of it, so a
copy of the database (a backup, a leaked file) does not let anyone find a pending code offline — with a plain
hash, the 32^10 codes fall to one GPU in about a day.

`BOT_SECRET` in the environment when the operator sets one (several instances share it); otherwise a random key
in `<database>.key` beside the database, made on first use, readable by its owner only. Back it up apart from the
database; without it, only codes not yet used stop working (new ones can be issued)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .db import StorageUnusable, describe


def installation_key(db_path: str | Path) -> bytes:
    from_env = os.environ.get("BOT_SECRET", "").strip()
    if from_env:
        return from_env.encode()
    if str(db_path) == ":memory:":
        return secrets.token_bytes(32)
    path = Path(str(db_path) + ".key")
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as e:
        raise StorageUnusable(str(path), describe(e) if isinstance(e, OSError) else "ключ повреждён") from e
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago: theirs is the key
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except OSError as e:
        raise StorageUnusable(str(path), describe(e)) from e
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key
