"""A process killed (SIGKILL, like power loss) while it writes configuration backups leaves no half backup: only
complete ones, each verifying, and a `.partial` folder that readers ignore and the next start removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from homeport.backups.layout import backup_folders, config_folder, find_backups, remove_partials
from homeport.backups.verify import Verification, check_checksums

# A store big enough that a backup takes a while (the kill lands inside one), written again and again.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from homeport.backups.layout import write_backup
    from homeport.store.db import connect
    from homeport.store.migrate import migrate
    from homeport.store.migrations import MIGRATIONS
    store, volume = Path(sys.argv[1]), Path(sys.argv[2])
    conn = connect(store)
    migrate(conn, store, store.parent / "store-backups", MIGRATIONS, lambda _: None)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)")
    conn.executemany("INSERT INTO filler (body) VALUES (randomblob(4096))", [()] * 6000)
    conn.executemany(
        "INSERT INTO audit_log (at, action, outcome, detail) VALUES (?, 'filler', 'success', ?)",
        [(n, '{"x": "%s"}' % ("x" * 200)) for n in range(20000)],
    )
    conn.execute("COMMIT")
    while True:
        write_backup(store, volume, {"reason": "manual", "created_at": time.time()})
    """
)


def test_sigkill_while_writing_leaves_only_whole_backups(short_tmp: Path) -> None:
    volume = short_tmp / "volume1"
    volume.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(short_tmp / "store.sqlite"), str(volume)], env=env)
    try:
        deadline = time.monotonic() + 60
        partial_seen = False
        while time.monotonic() < deadline and child.poll() is None:
            folder = config_folder(volume)
            complete = backup_folders([volume])
            partial_seen = folder.is_dir() and any(p.name.endswith(".partial") for p in folder.iterdir())
            if partial_seen and complete:
                break
            time.sleep(0.005)
        assert child.poll() is None, "the writer stopped by itself"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert partial_seen, "no backup was under way to interrupt"
    found = find_backups([volume])
    assert found and len(found) == len(backup_folders([volume]))  # every finished folder is a whole backup
    for backup in found:
        report = Verification()
        assert check_checksums(backup.path, backup.manifest, report), report.checks
    assert any(p.name.endswith(".partial") for p in config_folder(volume).iterdir())
    remove_partials([volume])
    assert not any(p.name.endswith(".partial") for p in config_folder(volume).iterdir())
