"""``chainrule playground``: serve the playground and open it in the browser.

    chainrule playground                      # http://127.0.0.1:8000/, opens a browser tab
    chainrule playground --port 0 --no-browser
    chainrule playground --host 0.0.0.0 --workers 4 --max-sessions 60   # a classroom

The limits (``--max-layers`` ...) are enforced by the server, whatever the page sends.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import webbrowser

from chainrule.playground.state import Limits

_DEFAULTS = Limits()

# option -> (Limits field, type, help)
LIMIT_OPTIONS: dict[str, tuple[str, type, str]] = {
    "--max-layers": ("max_layers", int, "hidden layers per network"),
    "--max-neurons": ("max_neurons", int, "neurons per hidden layer"),
    "--max-points": ("max_points", int, "data points per session (uploads, clicks)"),
    "--max-sessions": ("max_sessions", int, "open sessions per worker process"),
    "--max-message-bytes": ("max_message_bytes", int, "largest message from a page (uploads)"),
    "--cpu-share": ("cpu_share", float, "fraction of a CPU core one session may train with"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The playground's options: where to listen, and the limits of each session."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (each session stays on its worker)",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    for option, (field, kind, text) in LIMIT_OPTIONS.items():
        default = getattr(_DEFAULTS, field)
        parser.add_argument(
            option, type=kind, default=default, dest=field, help=f"{text} (default {default})"
        )


def limits_from(args: argparse.Namespace) -> Limits:
    return Limits(**{field: getattr(args, field) for field, _, _ in LIMIT_OPTIONS.values()})


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from chainrule.playground.server import create_app
    except ModuleNotFoundError as error:
        print(
            f"chainrule playground needs {error.name}: pip install 'chainrule[playground]'",
            file=sys.stderr,
        )
        return 1
    try:
        limits = limits_from(args)
    except ValueError as error:
        print(f"chainrule playground: {error}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("chainrule playground: --workers must be at least 1", file=sys.stderr)
        return 2
    ws_max_size = max(4 * limits.max_message_bytes, 1 << 20)

    if args.workers > 1:
        # Each worker process builds its own app; the limits travel in the environment.
        os.environ["CHAINRULE_PLAYGROUND_LIMITS"] = json.dumps(limits.as_dict())
        url = _url(args.host, args.port)
        _announce(url, args)
        uvicorn.run(
            "chainrule.playground.server:app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            ws_max_size=ws_max_size,
            ws_per_message_deflate=False,
            log_level=args.log_level,
        )
        return 0

    # One process: bind the socket first, so that --port 0 can print the real port.
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        print(
            f"chainrule playground: cannot listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    sock.listen(2048)  # from now on connections wait in the queue until the server is up
    port = sock.getsockname()[1]
    # No per-message compression: the heatmaps are already bytes, and deflating every
    # frame of every session would cost more CPU than the training.
    config = uvicorn.Config(
        create_app(limits),
        ws_max_size=ws_max_size,
        ws_per_message_deflate=False,
        log_level=args.log_level,
    )
    server = uvicorn.Server(config)
    _announce(_url(args.host, port), args)
    server.run(sockets=[sock])
    return 0


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def _announce(url: str, args: argparse.Namespace) -> None:
    print(f"chainrule playground: {url}  (Ctrl+C to stop)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"  listening on {args.host}: anyone who can reach this machine can use it",
            flush=True,
        )
    if not args.no_browser:
        threading.Timer(0.8, webbrowser.open, [url]).start()
