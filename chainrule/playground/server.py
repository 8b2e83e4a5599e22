"""The playground's web server: a Starlette app with a routes table, served by uvicorn.

    GET  /             the page (static/index.html)
    GET  /static/...   its scripts and style sheet, shipped inside the package
    GET  /healthz      {"sessions": n, "limits": {...}}
    WS   /ws?<query>   one training session per connection

Each websocket connection gets its own ``Session`` (``session.py``), made from the
page's URL query, and two tasks: one receives the page's messages, checks them
(``protocol.parse``) and hands them to the session; the other trains while the
session plays, in short slices that share the event loop with every other session,
and sends frames at most ``MAX_FPS`` times a second, never more than ``WINDOW``
frames ahead of the page's acknowledgements. A bad message gets an error reply and
changes nothing; a closed tab ends its tasks and frees its session.

Example (what ``chainrule playground`` does, in short)::

    import uvicorn
    uvicorn.run(create_app(Limits(max_sessions=60)), host="127.0.0.1", port=8000,
                ws_per_message_deflate=False)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.parse
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from chainrule.playground.protocol import ProtocolError, dumps, parse
from chainrule.playground.session import Reply, Session, SessionError, hello
from chainrule.playground.state import Limits

__all__ = ["create_app", "Registry", "STATIC", "MAX_FPS", "WINDOW"]

log = logging.getLogger("chainrule.playground")

STATIC = Path(__file__).parent / "static"

MAX_FPS = 30  # frames per second to one page, at most
WINDOW = 2  # frames sent and not yet acknowledged, at most
MESSAGES_PER_SECOND = 60  # from one page (acknowledgements not counted)
ROUND_SECONDS = 0.03  # training time of all playing sessions in one turn of the loop

# The page's scripts may only talk to this server; no inline scripts.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


class Registry:
    """The sessions open in this process, so that their number stays within the limit
    and the playing ones share the CPU fairly."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.connections: set[Connection] = set()
        self._hello: str | None = None

    def hello(self) -> str:
        """The first message, the same for every page (made once)."""
        if self._hello is None:
            self._hello = dumps(hello(self.limits))
        return self._hello

    def slice_seconds(self) -> float:
        """How long one session trains per turn: the playing sessions share a turn of
        ROUND_SECONDS, each getting 1 to 16 ms (a lone session then trains 16 ms, sleeps
        about as long, and sends a frame: about 30 a second)."""
        playing = sum(1 for c in self.connections if c.session.wants_training)
        return min(0.016, max(0.001, ROUND_SECONDS / max(playing, 1)))


class Connection:
    """One page: its websocket, its session, and the two tasks that serve it."""

    def __init__(self, websocket: WebSocket, session: Session, registry: Registry) -> None:
        self.websocket = websocket
        self.session = session
        self.registry = registry
        self.limits = registry.limits
        self.wake = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.acked = 0
        self.last_frame = 0.0
        self.message_times: list[float] = []

    async def send(self, reply: Reply | str) -> None:
        async with self.send_lock:
            if isinstance(reply, bytes):
                await self.websocket.send_bytes(reply)
            else:
                await self.websocket.send_text(reply if isinstance(reply, str) else dumps(reply))

    async def send_notices(self) -> None:
        while self.session.notices:
            await self.send({"type": "info", "message": self.session.notices.pop(0)})

    async def run(self) -> None:
        session = self.session
        await self.send(self.registry.hello())
        await self.send(session.state_message())
        await self.send(session.data_message())
        await self.send_notices()
        trainer = asyncio.create_task(self.train_loop())
        try:
            await self.receive_loop()
        finally:
            trainer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await trainer

    # -------------------------------------------------------------- receiving

    async def receive_loop(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes")
            await self.on_message(raw)

    async def on_message(self, raw: str | bytes | None) -> None:
        try:
            checked = parse(raw, self.limits)
            if checked.kind == "ack":  # never ahead of what was sent
                self.acked = min(max(self.acked, checked.args["seq"]), self.session.seq)
                self.wake.set()
                return
            self.check_rate()
            replies = self.session.handle(checked)
        except (ProtocolError, SessionError) as error:
            await self.send({"type": "error", "message": str(error)})
            return
        except Exception as error:  # a bug: say so, keep the session and the server
            log.exception("playground: error handling a message")
            await self.send({"type": "error", "message": f"internal error: {error!r:.200}"})
            return
        for reply in replies:
            await self.send(reply)
        await self.send_notices()
        self.wake.set()

    def check_rate(self) -> None:
        now = time.monotonic()
        self.message_times = [t for t in self.message_times if now - t < 1.0]
        if len(self.message_times) >= MESSAGES_PER_SECOND:
            raise ProtocolError(
                f"too many messages: at most {MESSAGES_PER_SECOND} a second; this one was dropped"
            )
        self.message_times.append(now)

    # --------------------------------------------------------------- training

    def can_send_frame(self) -> bool:
        return self.session.seq - self.acked < WINDOW

    async def train_loop(self) -> None:
        session = self.session
        share = self.limits.cpu_share
        while True:
            if session.wants_training:
                start = time.perf_counter()
                if not await self.guarded(session.train_for, self.registry.slice_seconds()):
                    continue
                used = time.perf_counter() - start
                due = time.monotonic() - self.last_frame >= 0.8 / MAX_FPS
                if (due or not session.wants_training) and self.can_send_frame():
                    await self.send_frame()
                    if not session.wants_training:  # a step ended, or training diverged
                        await self.send(session.state_message())
                # Sleep so that training takes at most `share` of the time; sleep(0) at
                # least, so that the other sessions get their turn.
                await asyncio.sleep(used * (1.0 / share - 1.0))
            elif session.dirty and self.can_send_frame():
                await self.send_frame()
            else:
                self.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=0.5)

    async def guarded(self, work: Any, *args: Any) -> bool:
        """Run ``work``; if it fails (a bug), stop training and tell the page, instead of
        ending the session. Returns whether it succeeded."""
        try:
            work(*args)
            return True
        except Exception as error:
            log.exception("playground: training failed")
            self.session.playing = False
            self.session.step_target = None
            await self.send({"type": "error", "message": f"training stopped: {error!r:.200}"})
            await self.send(self.session.state_message())
            return False

    async def send_frame(self) -> None:
        self.last_frame = time.monotonic()
        try:
            frame = self.session.frame()
        except Exception as error:
            log.exception("playground: drawing failed")
            self.session.dirty = False
            self.session.playing = False
            await self.send({"type": "error", "message": f"drawing failed: {error!r:.200}"})
            return
        await self.send(frame)
        await self.send_notices()


def _same_origin(websocket: WebSocket) -> bool:
    """A page from another site may not open sessions here (its Origin names it)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (tests, scripts)
    return urllib.parse.urlsplit(origin).netloc == websocket.headers.get("host")


async def playground_socket(websocket: WebSocket) -> None:
    """WS /ws?<query>: a new session for this page, served until the page goes away."""
    registry: Registry = websocket.app.state.registry
    if not _same_origin(websocket):
        await websocket.close(code=1008, reason="cross-origin connections are not allowed")
        return
    await websocket.accept()
    limit = registry.limits.max_sessions
    if len(registry.connections) >= limit:
        await websocket.send_text(
            dumps(
                {
                    "type": "error",
                    "message": f"The server is full: {limit} sessions are open "
                    "(its limit; raise it with --max-sessions). Try again later.",
                }
            )
        )
        await websocket.close(code=1013, reason="server full")
        return
    session = Session.from_query(websocket.url.query, registry.limits)
    connection = Connection(websocket, session, registry)
    registry.connections.add(connection)
    try:
        await connection.run()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the page went away while we were sending
    finally:
        registry.connections.discard(connection)


async def index(request: Request) -> Response:
    """GET /: the page."""
    return FileResponse(STATIC / "index.html", headers=HEADERS)


async def health(request: Request) -> Response:
    """GET /healthz: the number of open sessions and the limits."""
    registry: Registry = request.app.state.registry
    return JSONResponse(
        {"sessions": len(registry.connections), "limits": registry.limits.as_dict()}
    )


def create_app(limits: Limits | None = None) -> Starlette:
    """The playground as an ASGI app (serve it with uvicorn)."""
    routes = [
        Route("/", index),
        Route("/healthz", health),
        WebSocketRoute("/ws", playground_socket),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.registry = Registry(limits or Limits())
    return app


def app_from_environment() -> Any:
    """An app whose limits come from the CHAINRULE_PLAYGROUND_LIMITS environment variable
    (JSON): the factory each uvicorn worker process calls (``--workers``)."""
    import json
    import os

    limits = json.loads(os.environ.get("CHAINRULE_PLAYGROUND_LIMITS", "{}"))
    return create_app(Limits(**limits))
