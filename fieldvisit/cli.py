"""The `fieldvisit` command: serve the app, seed the demo local authority, upgrade the schema,
import from the case system and the staff directory (`fieldvisit import families|practitioners FILE`),
verify the audit chain, back up and restore."""
import argparse
import os
import sys


# Sized for a 2-core server: SQLite takes one writer at a time, and a request spends most of its
# time in SQLite or waiting on the network, so a few threads per core keep both cores busy.
SERVE_THREADS = 8


def serve(args):
    """Serve with waitress: a production WSGI server in pure Python (no fork, no C build), which
    runs the same on Linux, macOS and Windows and the same under the tests as in use."""
    import waitress

    from fieldvisit import create_app
    from fieldvisit.db import keep_open
    app = create_app()
    keep_open(app)
    print(f"Fieldvisit is running: open http://{args.host}:{args.port}/ (database {app.config['DATABASE']},"
          f" {args.threads} threads)", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="Fieldvisit",
                   # A batch of 100 items may take a few seconds under load; tablets wait for it.
                   channel_timeout=120, connection_limit=200, clear_untrusted_proxy_headers=True,
                   max_request_body_size=4 * 1024 * 1024, _quiet=True)


def demo(args):
    from fieldvisit import create_app
    from fieldvisit.db import connect
    from fieldvisit.demo import seed
    if args.scale == "county":
        return county_demo(args)
    if args.force or args.teams is not None:
        print("--teams and --force are for --scale county.", file=sys.stderr)
        return 2
    app = create_app()
    db = connect(app.config["DATABASE"])
    try:
        password, created = seed(db, os.environ.get("FIELDVISIT_DEMO_PASSWORD"))
    finally:
        db.close()
    print("Demo data " + ("created" if created else "was already there; demo sign-ins updated")
          + f" in {app.config['DATABASE']}")
    print("Sign in as demo-worker, demo-health-visitor, demo-social-worker, demo-lead or demo-admin")
    if os.environ.get("FIELDVISIT_DEMO_PASSWORD"):
        print("Password: the value of FIELDVISIT_DEMO_PASSWORD")
    else:
        print(f"Password: {password}")


def county_demo(args):
    """`demo --scale county`: a county-sized made-up local authority, only ever in an empty database."""
    import secrets
    import time
    from datetime import datetime
    from pathlib import Path

    from fieldvisit import county, create_app
    from fieldvisit.db import connect
    from fieldvisit.migrations import upgrade as migrate
    from fieldvisit.passwords import hash_password
    teams = args.teams if args.teams is not None else county.SCALES["county"]
    if teams < 1 or teams > 200:
        print("--teams must be a whole number from 1 to 200.", file=sys.stderr)
        return 2
    app = create_app()
    path = Path(app.config["DATABASE"])
    db = connect(path)
    try:
        full = county.has_records(db)
    finally:
        db.close()
    if full:
        if not args.force:
            print(f"The database {path} already holds records, so the county demo was not built: it is never mixed "
                  "with other records. Point FIELDVISIT_DB at a new file, or add --force to build it into a new "
                  "file beside this one (this one is left as it is).", file=sys.stderr)
            return 1
        path = path.with_name(f"{path.stem}-county-{datetime.now():%Y%m%d-%H%M%S}.db")
        print(f"{app.config['DATABASE']} already holds records: building the county into the new file {path}")
    password = os.environ.get("FIELDVISIT_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    db = connect(path)
    try:
        migrate(db)
        started = time.monotonic()
        counts = county.build(db, hash_password(password), teams=teams)
    except county.NotEmpty as not_empty:
        print(str(not_empty), file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"County demo built in {time.monotonic() - started:.0f} s in {path}: {counts['teams']} teams, "
          f"{counts['practitioners']} practitioners, {counts['families']:,} families, {counts['children']:,} children, "
          f"{counts['visit_records']:,} visits")
    print("Sign in as demo-worker, demo-health-visitor, demo-social-worker, demo-lead (team 1), demo-admin, "
          "or county-tNN-MM (team NN, member MM; 00 is the team lead)")
    print("Password: the value of FIELDVISIT_DEMO_PASSWORD" if os.environ.get("FIELDVISIT_DEMO_PASSWORD")
          else f"Password: {password}")
    if str(path) != app.config["DATABASE"]:
        print(f"Serve it with: FIELDVISIT_DB={path} fieldvisit serve")
    return 0


def upgrade(args):
    from fieldvisit import create_app
    app = create_app()  # creating the app applies any new migrations
    print(f"The database {app.config['DATABASE']} is up to date.")


def import_practitioners(args):
    """Dry run by default: say what each row would do; with --apply, write it all or nothing."""
    from fieldvisit import create_app
    from fieldvisit.admin import practitioners_import
    from fieldvisit.db import connect
    app = create_app()
    try:
        with open(args.file, "rb") as file:
            data = file.read()
    except OSError as error:
        print(f"Cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    db = connect(app.config["DATABASE"])
    try:
        report = practitioners_import.import_practitioners(db, data, args.apply, "cli: import practitioners")
    except practitioners_import.StructuralError as error:
        print(f"The whole file is refused: {error}", file=sys.stderr)
        return 2
    finally:
        db.close()
    for entry in report:
        details = ([f"changes {', '.join(entry['changes'])}"] if entry["changes"] else []) + entry["reasons"]
        print(f"line {entry['line']}: {entry['action']} {entry['username'] or '(no username)'}"
              + (f" ({'; '.join(details)})" if details else ""))
    counts = practitioners_import.summary(report)
    if counts["refuse"]:
        print(f"{counts['refuse']} row(s) refused: nothing was imported. Fix the file and run again.", file=sys.stderr)
        return 1
    if args.apply:
        print(f"Imported: {counts['create']} created, {counts['update']} updated, {counts['unchanged']} unchanged.")
    else:
        print(f"Dry run, nothing changed: {counts['create']} to create, {counts['update']} to update,"
              f" {counts['unchanged']} unchanged. Run again with --apply to import.")
    return 0


def import_families(args):
    """Dry run by default; --apply imports (docs/import.md). Exit 0 when every row can be (or was)
    imported, 1 when rows are refused, 2 when the whole file is refused."""
    from fieldvisit import create_app
    from fieldvisit.db import connect
    from fieldvisit.families.imports import import_families as run, report_lines
    try:
        with open(args.file, "rb") as handle:
            content = handle.read()
    except OSError as error:
        print(f"Cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    app = create_app()
    db = connect(app.config["DATABASE"])
    try:
        report = run(db, content, apply=args.apply, route=f"fieldvisit import families {os.path.basename(args.file)}")
    finally:
        db.close()
    for line in report_lines(report):
        print(line)
    if report["refused_file"]:
        return 2
    return 1 if report["counts"].get("refuse") else 0


def add_import_commands(commands):
    """`fieldvisit import KIND FILE [--apply]`: one group, one sub-command per kind of file."""
    import_parser = commands.add_parser("import", help="import families or practitioners from a CSV file (dry run"
                                        " unless --apply)")
    kinds = import_parser.add_subparsers(dest="kind", required=True)
    families = kinds.add_parser("families", help="families and children from the case system (docs/import.md)")
    families.add_argument("file", help="the CSV file, one row per child")
    families.add_argument("--apply", action="store_true", help="import (without it: a dry run that changes nothing)")
    families.set_defaults(run=import_families)
    return kinds


def database_path(args):
    """The database a command works on: --database, or the app's (FIELDVISIT_DB / the instance folder)."""
    if getattr(args, "database", None):
        return args.database
    from fieldvisit import create_app
    return create_app().config["DATABASE"]


def audit_verify(args):
    """Exit 0 when the audit chain is intact; 1 naming the first bad entry."""
    from fieldvisit import audit
    from fieldvisit.db import connect
    path = database_path(args)
    db = connect(path)
    try:
        count, problem = audit.verify(db)
        last_id, last_hash = audit.head(db)
    finally:
        db.close()
    if problem:
        entry_id, why = problem
        print(f"The audit log of {path} has been tampered with: entry {entry_id} is the first bad entry: {why}. "
              f"{count} entries before it are intact.", file=sys.stderr)
        return 1
    if args.expect_head and args.expect_head != f"{last_id}:{last_hash}":
        print(f"The audit log of {path} ends at entry {last_id}:{last_hash}, not at {args.expect_head}: "
              "entries were removed from its end, or it is an older copy.", file=sys.stderr)
        return 1
    print(f"The audit log of {path} is intact: {count} entries; the last is {last_id}:{last_hash}")
    return 0


def backup(args):
    """Copy the live database (safe while it serves), checked; exit 1 saying why it failed."""
    from fieldvisit.backups import BackupError, backup as make_backup
    live = database_path(args)
    try:
        count, (head_id, head_hash) = make_backup(live, args.path, force=args.force)
    except BackupError as error:
        print(f"No backup was made: {error}", file=sys.stderr)
        return 1
    print(f"Backed up {live} to {args.path}: it passes SQLite's integrity check and its audit log is intact "
          f"({count} entries; the last is {head_id}:{head_hash}).")
    return 0


def restore(args):
    """Put a backup in place of the live database; refuses to replace one without --force."""
    from fieldvisit.backups import BackupError, restore as restore_backup
    live = args.database or os.environ.get("FIELDVISIT_DB") or _default_database()
    try:
        count, (head_id, head_hash), kept = restore_backup(args.path, live, force=args.force)
    except BackupError as error:
        print(f"Nothing was restored: {error}", file=sys.stderr)
        return 1
    if kept:
        print(f"The database that was at {live} is kept at {kept}.")
    print(f"Restored {args.path} to {live} ({count} audit entries; the last is {head_id}:{head_hash}). "
          "Restart the app so every connection starts from the restored database.")
    return 0


def _default_database():
    """The app's default database path, without opening (and so creating) it."""
    from flask import Flask
    instance = Flask("fieldvisit", instance_path=os.environ.get("FIELDVISIT_INSTANCE")).instance_path
    return os.path.join(instance, "fieldvisit.db")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fieldvisit", description="Home-visit records for safeguarding practitioners.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="serve the app")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    serve_parser.add_argument("--threads", type=int, default=SERVE_THREADS,
                              help=f"worker threads (default {SERVE_THREADS}, for 2 cores)")
    serve_parser.set_defaults(run=serve)
    demo_parser = commands.add_parser("demo", help="seed a synthetic local authority with demo sign-ins")
    demo_parser.add_argument("--scale", choices=["small", "county"], default="small",
                             help="small (default): a few families; county: 30 teams, 5,000 families, three years")
    demo_parser.add_argument("--teams", type=int, default=None,
                             help="with --scale county: how many teams of 10 (default 30)")
    demo_parser.add_argument("--force", action="store_true",
                             help="with --scale county: if the database holds records, build into a new file")
    demo_parser.set_defaults(run=demo)
    upgrade_parser = commands.add_parser("upgrade", help="apply any new schema migrations")
    upgrade_parser.set_defaults(run=upgrade)
    imports = add_import_commands(commands)
    practitioners_parser = imports.add_parser("practitioners", help="practitioners from a staff directory export"
                                              " (docs/import.md)")
    practitioners_parser.add_argument("file", help="the CSV file (UTF-8)")
    practitioners_parser.add_argument("--apply", action="store_true", help="write the changes (default: a dry run)")
    practitioners_parser.set_defaults(run=import_practitioners)
    audit_parser = commands.add_parser("audit", help="check the audit log").add_subparsers(dest="audit_command",
                                                                                         required=True)
    verify_parser = audit_parser.add_parser("verify", help="check the audit log's hash chain; exit 1 naming the "
                                                           "first bad entry")
    verify_parser.add_argument("--database", help="the database file to check (default: the app's)")
    verify_parser.add_argument("--expect-head", metavar="ID:HASH",
                               help="the last entry written down earlier, to show none was cut off the end")
    verify_parser.set_defaults(run=audit_verify)
    backup_parser = commands.add_parser("backup", help="copy the database to PATH, safely while the app serves")
    backup_parser.add_argument("path", help="the backup file to write")
    backup_parser.add_argument("--database", help="the database to back up (default: the app's)")
    backup_parser.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup_parser.set_defaults(run=backup)
    restore_parser = commands.add_parser("restore", help="put the backup at PATH in place of the database")
    restore_parser.add_argument("path", help="the backup file to restore")
    restore_parser.add_argument("--database", help="the database to replace (default: the app's)")
    restore_parser.add_argument("--force", action="store_true",
                                help="replace a database that holds records (it is kept beside it)")
    restore_parser.set_defaults(run=restore)
    args = parser.parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
