"""``chainrule playground``: options, limits, and a real uvicorn server in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest

from chainrule.cli import build_parser
from chainrule.playground import cli
from chainrule.playground.state import Limits


def parse(*argv: str):
    return build_parser().parse_args(["playground", *argv])


def test_defaults_listen_on_localhost_and_open_a_browser():
    args = parse()
    assert (args.host, args.port, args.no_browser, args.workers) == ("127.0.0.1", 8000, False, 1)
    assert cli.limits_from(args) == Limits()


def test_limits_are_raisable_from_the_command_line():
    args = parse(
        "--max-layers",
        "10",
        "--max-neurons",
        "16",
        "--max-points",
        "5000",
        "--max-sessions",
        "100",
        "--cpu-share",
        "0.25",
        "--no-browser",
    )
    limits = cli.limits_from(args)
    assert (limits.max_layers, limits.max_neurons, limits.max_points) == (10, 16, 5000)
    assert limits.max_sessions == 100 and limits.cpu_share == 0.25 and args.no_browser


def test_nonsense_limits_are_refused(capsys):
    assert cli.run(parse("--max-layers", "0", "--no-browser")) == 2
    assert "max_layers" in capsys.readouterr().err


def test_server_prints_its_url_and_enforces_its_limits():
    pytest.importorskip("uvicorn")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainrule",
            "playground",
            "--port",
            "0",
            "--no-browser",
            "--max-layers",
            "3",
            "--max-neurons",
            "5",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.match(r"chainrule playground: (http://127\.0\.0\.1:\d+/)", line)
        assert match, line
        url = match.group(1)
        with urllib.request.urlopen(url + "healthz", timeout=10) as response:
            health = json.loads(response.read())
        assert health["limits"]["max_layers"] == 3 and health["limits"]["max_neurons"] == 5
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert 'data-testid="play-pause"' in response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
