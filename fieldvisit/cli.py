"""The `fieldvisit` command: serve the app, seed the demo local authority, upgrade the schema,
import from the case system and the staff directory (`fieldvisit import families|practitioners FILE`),
verify the audit chain, back up and restore."""
import argparse
import os
import sys


def serve(args):
    from werkzeug.serving import WSGIRequestHandler, run_simple

    from fieldvisit import create_app

    class RequestHandler(WSGIRequestHandler):
        """No server or Python version in the Server header (issue 14): it only helps an attacker."""

        def version_string(self):
            return "Fieldvisit"

    app = create_app()
    print(f"Fieldvisit is running: open http://{args.host}:{args.port}/ (database {app.config['DATABASE']})",
          flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False,
               request_handler=RequestHandler)


def demo(args):
    from fieldvisit import create_app
    from fieldvisit.db import connect
    from fieldvisit.demo import seed
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
    serve_parser.set_defaults(run=serve)
    demo_parser = commands.add_parser("demo", help="seed a synthetic local authority with demo sign-ins")
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
