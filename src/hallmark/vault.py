"""Open or create a vault (`.hallmark/`): config, keys, database, blobs, write transactions."""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hallmark.errors import InputError, NotFound
from hallmark.store.blobs import BlobStore
from hallmark.store.clock import utcnow

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import Connection, Engine

    from hallmark.ledger.log import LogWriter

# The database layer (SQLAlchemy), the key library and the TOML writer load where they are
# used: finding a vault and reading its config costs neither.

VAULT_DIR = ".hallmark"
CONFIG = "hallmark.toml"
SIGNING_KEY = "signing.key"
MARKING_KEY = "marking.key"


def _write_secret(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only; never overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


@dataclass
class Txn:
    """An open write transaction: SQL through `conn`, events through `log`."""

    conn: Connection
    log: LogWriter
    actor: str


class Vault:
    """A vault on disk. Services take one of these."""

    def __init__(self, root: Path, use_env_db: bool = True) -> None:
        self.root = root.resolve()
        self.use_env_db = use_env_db  # False for a second vault in this process (a cosigner)
        self.dir = self.root / VAULT_DIR
        try:
            self.config: dict[str, Any] = tomllib.loads((self.dir / CONFIG).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"cannot read {self.dir / CONFIG}: {exc}") from exc
        self.blobs = BlobStore(self.dir / "blobs")

    # -- finding and creating -------------------------------------------------------------
    @classmethod
    def find(cls, start: Path | str | None = None, use_env_db: bool = True) -> Vault:
        """The vault named by `start`, HALLMARK_VAULT, or found upwards from the cwd like git;
        `use_env_db=False` ignores HALLMARK_DB_URL (it names the first vault's database)."""
        named = start if start is not None else os.environ.get("HALLMARK_VAULT")
        if named:
            path = Path(named).expanduser()
            if path.name == VAULT_DIR:
                path = path.parent
            if not (path / VAULT_DIR / CONFIG).is_file():
                raise NotFound(f"no Hallmark vault at {path}")
            return cls(path, use_env_db)
        here = Path.cwd().resolve()
        for candidate in (here, *here.parents):
            if (candidate / VAULT_DIR / CONFIG).is_file():
                return cls(candidate, use_env_db)
        raise NotFound("not inside a Hallmark vault (run `hallmark init`, or name the vault)",
                       field="vault")

    @classmethod
    def create(cls, root: Path | str, db_url: str | None = None) -> Vault:
        """Create `root/.hallmark` atomically; refuses if one exists."""
        import tomli_w
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from hallmark.store.db import make_engine, migrate

        root = Path(root).expanduser()
        if root.exists() and not root.is_dir():
            raise InputError(f"{root} is not a folder")
        target = root / VAULT_DIR
        if target.exists():
            raise InputError(f"a vault already exists at {target}")
        db_url = db_url or os.environ.get("HALLMARK_DB_URL") or ""
        try:
            root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".hallmark-init-", dir=root))
        except OSError as exc:
            raise InputError(f"cannot create a vault in {root}: {exc.strerror or exc}") from exc
        try:
            (staging / "keys").mkdir(mode=0o700)
            (staging / "blobs").mkdir()
            vault_id = uuid.uuid4().hex
            key = Ed25519PrivateKey.generate()
            _write_secret(
                staging / "keys" / SIGNING_KEY,
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
            _write_secret(staging / "keys" / MARKING_KEY, os.urandom(32))
            config = {
                "vault": {"id": vault_id, "created": utcnow(), "origin": f"hallmark/{vault_id}"},
                "database": {"url": db_url},
            }
            (staging / CONFIG).write_text(tomli_w.dumps(config))
            from hallmark.agreements.export import RULES_FILE, example_text

            (staging / RULES_FILE).write_text(example_text())  # the user's to adapt
            engine = make_engine(db_url or f"sqlite:///{target / 'hallmark.db'}")
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            migrate(engine)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        finally:
            engine.dispose()
        return cls(root)

    # -- configuration and keys ------------------------------------------------------------
    @property
    def db_url(self) -> str:
        """HALLMARK_DB_URL, else the configured URL, else the SQLite file in the vault."""
        return (
            (os.environ.get("HALLMARK_DB_URL") if self.use_env_db else None)
            or self.config.get("database", {}).get("url")
            or f"sqlite:///{self.dir / 'hallmark.db'}"
        )

    @property
    def origin(self) -> str:
        """The log's origin line, unique to this vault."""
        return str(self.config["vault"]["origin"])

    @cached_property
    def actor(self) -> str:
        """Who a command run by this process's user acts as: the configured `vault.actor`, else
        the login name. Only an edge (the CLI) reads it; services are always told the actor."""
        return str(self.config.get("vault", {}).get("actor") or getpass.getuser())

    @cached_property
    def signing_key(self) -> Ed25519PrivateKey:
        """The vault's Ed25519 key (checkpoints, attestations)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = serialization.load_pem_private_key(
            (self.dir / "keys" / SIGNING_KEY).read_bytes(), password=None
        )
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError("the vault's signing key is not an Ed25519 key")
        return key

    @cached_property
    def marking_key(self) -> bytes:
        """The 256-bit key that keys every per-recipient mark."""
        return (self.dir / "keys" / MARKING_KEY).read_bytes()

    @property
    def key_name(self) -> str:
        """The signer name in checkpoint notes."""
        return self.origin

    # -- database ---------------------------------------------------------------------------
    @cached_property
    def engine(self) -> Engine:
        """The engine, migrated to the newest schema on first use (a current schema is only
        read: see `store.db.migrate`)."""
        from hallmark.store.db import make_engine, migrate

        engine = make_engine(self.db_url)
        migrate(engine)
        return engine

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self, actor: str) -> Iterator[Txn]:
        """The one way to change the vault: SQL and its events, each attributed to `actor`,
        commit together with a fresh signed checkpoint, or not at all."""
        # The log sits above the vault (it reads the store's tables); imported here so that the
        # vault module itself depends only on the store.
        from hallmark.ledger.log import LogWriter, Signer

        if (not isinstance(actor, str) or not actor.strip() or len(actor) > 200
                or "\x00" in actor):
            raise InputError("must be a non-empty name of at most 200 characters",
                             field="actor")
        signer = Signer(self.origin, self.key_name, self.signing_key)
        with self.engine.begin() as conn:
            log = LogWriter.begin(conn, signer, actor)
            yield Txn(conn, log, actor)
            log.close()

    def close(self) -> None:
        """Release database connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()
