"""The `fieldvisit` command: serve the app, seed the demo local authority, upgrade the schema."""
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
    args = parser.parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
