"""The `fieldvisit` command: serve the app, seed the demo local authority, upgrade the schema."""
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
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
