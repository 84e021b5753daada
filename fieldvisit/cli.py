"""The `fieldvisit` command: serve the app, seed the demo local authority, upgrade the schema,
import from the case system and the staff directory (`fieldvisit import families|practitioners FILE`)."""
import argparse
import os
import sys


def serve(args):
    from werkzeug.serving import run_simple

    from fieldvisit import create_app
    app = create_app()
    print(f"Fieldvisit is running: open http://{args.host}:{args.port}/ (database {app.config['DATABASE']})",
          flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)


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
    args = parser.parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
