"""Starts the whole embedded product for `make run`: web server and background worker.

Prints the address and the demo logins once the web server answers, and stops every
process it started when it is interrupted or when one of them dies.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _wait_until_listening(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _banner(host: str, port: int) -> str:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    django.setup()
    from townsquare.organisations.demo import DEMO_PASSWORD, demo_logins

    address = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104
    lines = [
        "",
        "Townsquare is running.",
        f"  Citizen site:   {address}",
        f"  Staff console:  {address}console/",
        f"  API docs:       {address}api/v1/docs",
        "",
        f"Demo logins (password for all: {DEMO_PASSWORD})",
    ]
    for row in demo_logins():
        mark = "  *" if row.needs_totp else ""
        lines.append(f"  {row.username:<10} {row.roles:<32} {row.organisation}{mark}")
    lines += [
        "",
        "  * needs a second factor: get the current code with",
        "    .venv/bin/python manage.py demo_totp <username>",
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    args = parser.parse_args(argv)

    if not _port_is_free(args.host, args.port):
        print(
            f"Port {args.port} on {args.host} is in use. Stop what uses it, or run "
            f"`make run PORT=8001`.",
            file=sys.stderr,
        )
        return 2

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townsquare.settings"}
    python = sys.executable
    commands = {
        "web": [
            python,
            "-m",
            "gunicorn",
            "townsquare.wsgi:application",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.web_workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        "worker": [python, "manage.py", "run_huey"],
    }
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, cwd=ROOT, env=env)
        if not _wait_until_listening(args.host, args.port, timeout=60):
            print("The web server did not start; see the messages above.", file=sys.stderr)
            return 1
        print(_banner(args.host, args.port), flush=True)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(
                        f"The {name} process stopped (exit {child.returncode}); "
                        "stopping Townsquare.",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
