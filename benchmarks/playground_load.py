"""Many users at once: N websocket sessions that all train, and the updates each one gets.

Starts ``chainrule playground`` (one uvicorn process, as ``chainrule playground`` runs
by default) on a free port, or uses ``--url`` of a running one, then opens N sessions
(default 20) that behave like pages: each presses play and acknowledges every frame it
receives. For ``--seconds`` it counts, per session, the frames (updates of the
drawing) and the epochs trained, and reports updates/s and epochs/s per session
(min, median, mean), the bytes per frame, and whether every session kept at least
``--target`` updates/s (10 by default).

    python benchmarks/playground_load.py                  # 20 sessions, 10 s
    python benchmarks/playground_load.py --sessions 40 --seconds 20
    python benchmarks/playground_load.py --url http://127.0.0.1:8000/ --query "dataset=spiral"

The websocket client is the ``websockets`` package (installed with uvicorn[standard]).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field

import websockets


@dataclass
class Stats:
    frames: int = 0
    bytes: int = 0
    first_epoch: int | None = None
    last_epoch: int = 0
    errors: list[str] = field(default_factory=list)


async def one_session(url: str, query: str, start: float, seconds: float, stats: Stats) -> None:
    """Behave like a page: connect, play, acknowledge frames; count them in the window."""
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/ws?" + query
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "play"}))
        while True:
            remaining = start + seconds - time.perf_counter()
            if remaining <= 0:
                break
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=remaining)
            except asyncio.TimeoutError:
                break
            if isinstance(message, str):
                parsed = json.loads(message)
                if parsed["type"] == "error":
                    stats.errors.append(parsed["message"])
                continue
            (length,) = struct.unpack("<I", message[:4])
            header = json.loads(message[4 : 4 + length])
            if header.get("kind") != "frame":
                continue
            await ws.send(json.dumps({"type": "ack", "seq": header["seq"]}))
            if time.perf_counter() < start:
                continue  # warming up
            stats.frames += 1
            stats.bytes += len(message)
            if stats.first_epoch is None:
                stats.first_epoch = header["epoch"]
            stats.last_epoch = header["epoch"]


async def run_load(
    url: str, sessions: int, seconds: float, warmup: float, query: str
) -> list[Stats]:
    stats = [Stats() for _ in range(sessions)]
    start = time.perf_counter() + warmup
    tasks = [
        one_session(url, f"{query}&seed={i + 1}", start, seconds, s) for i, s in enumerate(stats)
    ]
    await asyncio.gather(*tasks)
    return stats


def start_server(max_sessions: int) -> tuple[subprocess.Popen[str], str]:
    """``chainrule playground --port 0 --no-browser`` in a subprocess; returns it and its URL."""
    command = [
        sys.executable,
        "-m",
        "chainrule",
        "playground",
        "--port",
        "0",
        "--no-browser",
        "--max-sessions",
        str(max_sessions),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return process, line.split()[2]


def describe(values: list[float]) -> str:
    return (
        f"min {min(values):6.1f}   median {statistics.median(values):6.1f}   "
        f"mean {statistics.fmean(values):6.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before counting")
    parser.add_argument("--url", default=None, help="a running playground (default: start one)")
    parser.add_argument("--query", default="dataset=circle", help="the sessions' settings")
    parser.add_argument("--target", type=float, default=10.0, help="updates/s each should keep")
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        process, url = start_server(max(args.sessions, 40))
    try:
        wall = time.perf_counter()
        stats = asyncio.run(run_load(url, args.sessions, args.seconds, args.warmup, args.query))
        wall = time.perf_counter() - wall
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)

    updates = [s.frames / args.seconds for s in stats]
    epochs = [(s.last_epoch - (s.first_epoch or 0)) / args.seconds for s in stats]
    frame_bytes = sum(s.bytes for s in stats) / max(sum(s.frames for s in stats), 1)
    errors = [e for s in stats for e in s.errors]
    print(
        f"chainrule playground load: {args.sessions} sessions training at once for "
        f"{args.seconds:g} s ({args.query}), server {url}"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; the clients run on the same machine"
    )
    print(f"  updates/s per session:  {describe(updates)}")
    print(f"  epochs/s per session:   {describe(epochs)}")
    print(f"  bytes per update:       {frame_bytes:,.0f}")
    print(f"  total updates/s:        {sum(updates):.0f}   (wall time {wall:.1f} s)")
    if errors:
        print(f"  errors: {len(errors)}, e.g. {errors[0]}")
    ok = min(updates) >= args.target and not errors
    print(f"  every session >= {args.target:g} updates/s: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
