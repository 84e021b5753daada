"""Backups and restores (issue 14): `fieldvisit backup` is safe while the real server serves and
receives pushes, every copy passes integrity_check and audit verify; `fieldvisit restore` refuses
to replace a database without --force and keeps the one it replaces; the README's recovery
drill works as written."""
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from fieldvisit import audit, cli
from fieldvisit.backups import check
from fieldvisit.db import connect
from tests.sync_live import Device, SyncServer
from tests.test_offline_sync_api_kill import batch_for

ROOT = Path(__file__).resolve().parent.parent


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(*args):
    return cli.main(list(args))


def visit_count(path):
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("SELECT count(*) FROM visit_records").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def live(tmp_path, seeded_db_file):
    path = tmp_path / "live.db"
    shutil.copy(seeded_db_file, path)
    db = connect(path)
    for n in range(5):
        audit.record(db, None, "read", "child", n, "/test")
    db.close()
    return path


def test_backups_taken_while_the_server_serves_and_receives_pushes_are_whole(tmp_path, live, capsys):
    seed = connect(live)
    items = batch_for(seed, "demo-worker", 60)
    before = visit_count(live)
    seed.close()
    instance = tmp_path / "instance"
    instance.mkdir()
    server = SyncServer(live, instance).start()
    try:
        device = Device(server, str(uuid.uuid4()), timeout=60).sign_in("demo-worker")
        answers = []

        def push_in_batches():
            for start in range(0, len(items), 5):
                answers.append(device.push(items[start:start + 5]))
        pusher = threading.Thread(target=push_in_batches)
        pusher.start()
        copies = []
        while pusher.is_alive() or not copies:
            copy = tmp_path / f"backup-{len(copies)}.db"
            assert run("backup", str(copy), "--database", str(live)) == 0
            copies.append(copy)
        pusher.join()
        assert all(status == 200 for status, _ in answers)
        final = tmp_path / "final.db"
        assert run("backup", str(final), "--database", str(live)) == 0
    finally:
        server.stop()
    counts = []
    for copy in copies + [final]:
        assert check(copy)  # integrity_check and the audit chain
        assert run("audit", "verify", "--database", str(copy)) == 0
        assert not Path(str(copy) + "-wal").exists()  # a single self-contained file
        counts.append(visit_count(copy))
    assert counts == sorted(counts) and counts[-1] == before + len(items)
    print(f"{len(copies)} backups during the pushes held {counts[:-1]} visit records")


def test_a_backup_never_overwrites_a_file_or_the_live_database_by_mistake(tmp_path, live, capsys):
    copy = tmp_path / "copy.db"
    assert run("backup", str(copy), "--database", str(live)) == 0
    first = digest(copy)
    assert run("backup", str(copy), "--database", str(live)) == 1
    assert "already exists" in capsys.readouterr().err and digest(copy) == first
    assert run("backup", str(live), "--database", str(live)) == 1
    assert run("backup", str(copy), "--database", str(tmp_path / "nothing.db")) == 1


def test_a_backup_of_a_tampered_database_is_refused_and_leaves_no_file(tmp_path, live, capsys):
    db = connect(live)
    db.execute("DROP TRIGGER audit_log_append_only")
    db.execute("UPDATE audit_log SET entity_id = 'x' WHERE id = (SELECT max(id) - 1 FROM audit_log)")
    db.close()
    before = digest(live)
    assert run("backup", str(tmp_path / "copy.db"), "--database", str(live)) == 1
    assert "tampered" in capsys.readouterr().err
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "copy.db.partial").exists()
    assert digest(live) == before


def test_restore_refuses_to_replace_a_database_without_force_and_keeps_the_replaced_one(tmp_path, live, capsys):
    copy = tmp_path / "copy.db"
    assert run("backup", str(copy), "--database", str(live)) == 0
    db = connect(live)
    audit.record(db, None, "read", "child", "after the backup", "/test")
    after = audit.head(db)
    db.close()
    assert run("restore", str(copy), "--database", str(live)) == 1
    assert "run again with --force" in capsys.readouterr().err
    db = connect(live)
    assert audit.head(db) == after  # untouched
    db.close()
    assert run("restore", str(copy), "--database", str(live), "--force") == 0
    output = capsys.readouterr().out
    kept = Path(re.search(r"is kept at (\S+)\.\n", output).group(1))
    assert kept.name.startswith("live.db.replaced-")
    db = connect(kept)
    assert audit.head(db) == after  # the replaced database, whole
    db.close()
    db = connect(live)
    assert audit.head(db) == check(copy)[1]
    assert audit.verify(db)[1] is None
    db.close()


def test_a_bad_backup_is_never_restored(tmp_path, live, capsys):
    before = digest(live)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all" * 100)
    assert run("restore", str(bad), "--database", str(live), "--force") == 1
    assert "is not a Fieldvisit database" in capsys.readouterr().err
    assert run("restore", str(tmp_path / "missing.db"), "--database", str(live), "--force") == 1
    assert digest(live) == before
    assert not list(tmp_path.glob("live.db.replaced-*"))


def drill_blocks():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Backups and the recovery drill", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_the_recovery_drill_in_the_readme_works_as_written(tmp_path, live):
    nightly, recover = drill_blocks()
    env = dict(os.environ, FIELDVISIT_DB=str(live), FIELDVISIT_INSTANCE=str(tmp_path / "instance"),
               PYTHONPATH=str(ROOT))
    prelude = f'fieldvisit() {{ "{sys.executable}" -m fieldvisit.cli "$@"; }}\nset -e\n'
    done = subprocess.run(["bash", "-c", prelude + nightly], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "is intact" in done.stdout
    records = visit_count(live)
    # Disaster: the database file is damaged.
    with open(live, "r+b") as damaged:
        damaged.seek(4096)
        damaged.write(os.urandom(8192))
    done = subprocess.run(["bash", "-c", prelude + recover], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "is intact" in done.stdout and "is kept at" in done.stdout
    assert visit_count(live) == records
    assert sqlite3.connect(str(live)).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
