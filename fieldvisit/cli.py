"""The `fieldvisit` command: serve the app, seed the demo local authority, upgrade the schema,
verify the audit chain."""
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
