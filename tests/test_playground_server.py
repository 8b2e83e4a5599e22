"""The playground's server through Starlette's TestClient: the page, the websocket
protocol, and what it does with malformed and hostile messages."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")  # the HTTP client under starlette's TestClient

from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from chainrule.playground.protocol import unpack  # noqa: E402
from chainrule.playground.server import create_app  # noqa: E402
from chainrule.playground.state import Limits  # noqa: E402


@pytest.fixture()
def client():
    with TestClient(create_app(Limits(max_sessions=3, max_message_bytes=4096))) as c:
        yield c


def receive(ws) -> tuple[str, dict, bytes]:
    """The next message as (type or kind, JSON or header, body)."""
    message = ws.receive()
    if message.get("type") == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is not None:
        parsed = json.loads(message["text"])
        return parsed["type"], parsed, b""
    header, body = unpack(message["bytes"])
    return header["kind"], header, body


def until(ws, kind: str, predicate=lambda m: True, limit: int = 400):
    """Read messages (acknowledging frames) until one of ``kind`` satisfies ``predicate``."""
    for _ in range(limit):
        got, message, body = receive(ws)
        if got == "frame":
            ws.send_json({"type": "ack", "seq": message["seq"]})
        if got == kind and predicate(message):
            return message, body
    raise AssertionError(f"no {kind} message in {limit} messages")


def open_session(client, query="seed=3"):
    ws = client.websocket_connect(f"/ws?{query}")
    ws.__enter__()
    hello, _ = until(ws, "hello")
    state, _ = until(ws, "state")
    until(ws, "data")
    return ws, hello, state


def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for testid in [
        "play-pause",
        "step",
        "reset",
        "regenerate",
        "epoch",
        "train-loss",
        "test-loss",
        "add-layer",
        "remove-layer",
        "learning-rate",
        "activation",
        "output-heatmap",
    ]:
        assert f'data-testid="{testid}"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ["app.js", "network.js", "heatmap.js", "chart.js", "mathview.js", "colors.js"]:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/healthz").json()["sessions"] == 0


def test_session_starts_from_the_url_and_trains(client):
    ws, hello, state = open_session(client, "dataset=xor&seed=7&learningRate=0.1")
    try:
        assert hello["limits"]["max_sessions"] == 3
        assert state["settings"]["dataset"] == "xor" and state["settings"]["seed"] == 7
        assert "learningRate=0.1" in state["query"]
        first, body = until(ws, "frame")
        assert first["epoch"] == 0 and len(body) == len(first["maps"]) * first["grid"] ** 2
        ws.send_json({"type": "play"})
        until(ws, "state", lambda m: m["playing"])
        frame, _ = until(ws, "frame", lambda m: m["epoch"] >= 3)
        assert frame["testLoss"] < first["testLoss"]
        ws.send_json({"type": "pause"})
        until(ws, "state", lambda m: not m["playing"])
        ws.send_json({"type": "step"})
        paused_at = until(ws, "frame", lambda m: not m["playing"])[0]["epoch"]
        ws.send_json({"type": "step"})
        until(ws, "frame", lambda m: m["epoch"] == paused_at + 1)
    finally:
        ws.__exit__(None, None, None)


def test_settings_messages_change_the_network(client):
    ws, _, _ = open_session(client)
    try:
        ws.send_json({"type": "set", "settings": {"networkShape": [5, 3, 2], "activation": "relu"}})
        state, _ = until(ws, "state")
        assert state["network"]["shape"] == [5, 3, 2]
        assert state["network"]["activations"] == ["relu"] * 3
        frame, _ = until(ws, "frame", lambda m: len(m["weights"]) == 4)
        assert [len(w) for w in frame["weights"]] == [5, 3, 2, 1]
        ws.send_json({"type": "set_weight", "layer": 0, "row": 2, "col": 1, "value": -3.5})
        frame, _ = until(ws, "frame", lambda m: m["weights"][0][2][1] == -3.5)
        ws.send_json({"type": "set", "settings": {"problem": "regression"}})
        state, _ = until(ws, "state")
        data, _ = until(ws, "data")
        assert state["task"]["kind"] == "regression" and len(data["train"]) == 600
    finally:
        ws.__exit__(None, None, None)


HOSTILE = [
    ("not json", "not valid JSON"),
    ("[1, 2, 3]", "JSON object"),
    ('"play"', "JSON object"),
    ("{}", "unknown message type"),
    ('{"type": "fly"}', "unknown message type"),
    ('{"type": ["play"]}', "unknown message type"),
    ('{"type": "play", "extra": 1}', "unexpected field"),
    ('{"type": "set"}', "missing field"),
    ('{"type": "set", "settings": "all"}', "must be an object"),
    ('{"type": "set", "settings": {"learningRate": "fast"}}', "learningRate"),
    ('{"type": "set", "settings": {"learningRate": 1e400}}', "finite"),
    ('{"type": "set", "settings": {"batchSize": 31}}', "between 1 and 30"),
    ('{"type": "set", "settings": {"networkShape": [8, 8, 8, 8, 8, 8, 8]}}', "at most 6"),
    ('{"type": "set", "settings": {"networkShape": [100]}}', "1 to 8 neurons"),
    ('{"type": "set", "settings": {"__proto__": 1}}', "unknown setting"),
    ('{"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": NaN}', "finite"),
    ('{"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": 1e9}', "between"),
    ('{"type": "set_weight", "layer": 9, "row": 0, "col": 0, "value": 1}', "does not exist"),
    ('{"type": "set_weight", "layer": -1, "row": 0, "col": 0, "value": 1}', "between"),
    ('{"type": "set_bias", "layer": 0, "row": 0.5, "value": 1}', "whole number"),
    ('{"type": "add_point", "x": 7, "y": 0, "label": 1}', "between -6 and 6"),
    ('{"type": "add_point", "x": 0, "y": 0, "label": 3}', "class must be"),
    ('{"type": "upload", "name": "a.csv", "text": 5}', "must be text"),
    ('{"type": "upload", "name": "a.csv", "text": "a,b\\nc,d\\n"}', "a.csv"),
    ('{"type": "math", "x": "here"}', "finite number"),
    ('{"type": "export", "what": "weights.pkl"}', "one of model, script"),
    ('{"type": "ack", "seq": -1}', "between"),
    ("[" * 5000 + "]" * 5000, "too large"),
    ('{"type": "set", "settings": ' + "[" * 1500 + "]" * 1500 + "}", "JSON"),
    ('{"type": "upload", "name": "big.csv", "text": "' + "1," * 3000 + '"}', "too large"),
]


def test_hostile_messages_get_errors_and_the_session_stays_up(client):
    ws, _, _ = open_session(client)
    try:
        until(ws, "frame")
        for raw, fragment in HOSTILE:
            ws.send_text(raw)
            error, _ = until(ws, "error")
            assert fragment in error["message"], (raw[:60], error["message"])
        ws.send_bytes(bytes(range(256)) * 4)
        error, _ = until(ws, "error")
        assert "binary messages" in error["message"]
        # still alive and well: it answers and trains
        ws.send_json({"type": "set", "settings": {"learningRate": 0.3}})
        state, _ = until(ws, "state")
        assert state["settings"]["learningRate"] == 0.3
        ws.send_json({"type": "step"})
        until(ws, "frame", lambda m: m["epoch"] == 1)
    finally:
        ws.__exit__(None, None, None)


def test_message_flood_is_throttled(client):
    ws, _, _ = open_session(client)
    try:
        for _ in range(100):
            ws.send_json({"type": "pause"})
        error, _ = until(ws, "error")
        assert "too many messages" in error["message"]
    finally:
        ws.__exit__(None, None, None)


def test_sessions_are_independent_and_a_closed_tab_frees_its_session(client):
    ws1, _, _ = open_session(client, "seed=1")
    ws2, _, _ = open_session(client, "seed=2&dataset=gauss")
    assert client.get("/healthz").json()["sessions"] == 2
    ws1.send_text("garbage")
    until(ws1, "error")
    ws1.send_json({"type": "set", "settings": {"noise": 20}})
    until(ws1, "state", lambda m: m["settings"]["noise"] == 20)
    ws2.send_json({"type": "step"})
    frame, _ = until(ws2, "frame", lambda m: m["epoch"] == 1)
    ws2.send_json({"type": "reset"})
    state, _ = until(ws2, "state")
    assert state["settings"]["noise"] == 0 and state["settings"]["dataset"] == "gauss"
    ws1.__exit__(None, None, None)
    ws2.__exit__(None, None, None)
    for _ in range(200):  # the server notices the closes asynchronously
        if client.get("/healthz").json()["sessions"] == 0:
            break
        time.sleep(0.01)
    assert client.get("/healthz").json()["sessions"] == 0


def test_full_server_says_so_and_closes(client):
    sockets = [open_session(client, f"seed={i}")[0] for i in range(3)]
    try:
        with client.websocket_connect("/ws") as ws:
            kind, message, _ = receive(ws)
            assert kind == "error" and "full" in message["message"]
            with pytest.raises(WebSocketDisconnect):
                receive(ws)
    finally:
        for ws in sockets:
            ws.__exit__(None, None, None)


def test_cross_origin_pages_cannot_open_sessions(client):
    evil = {"origin": "http://evil.example"}
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws", headers=evil):
        pass
    assert info.value.code == 1008


def test_invalid_url_settings_are_reported(client):
    ws = client.websocket_connect("/ws?noise=999&dataset=moons&seed=4")
    ws.__enter__()
    try:
        state, _ = until(ws, "state")
        assert state["settings"]["noise"] == 0 and state["settings"]["seed"] == 4
        info, _ = until(ws, "info")
        assert "noise" in info["message"]
    finally:
        ws.__exit__(None, None, None)


def test_upload_math_and_exports_over_the_socket(client):
    ws, _, _ = open_session(client)
    try:
        rng = np.random.default_rng(0)
        X = rng.uniform(-5, 5, (30, 2)).round(2)
        rows = "\n".join(f"{a},{b},{int(a * b > 0)}" for a, b in X)
        ws.send_json({"type": "upload", "name": "q.csv", "text": "x1,x2,label\n" + rows})
        state, _ = until(ws, "state")
        data, _ = until(ws, "data")
        assert state["custom"] and len(data["train"]) + len(data["test"]) == 30
        ws.send_json({"type": "math", "x": 1.0, "y": 1.0})
        trace, _ = until(ws, "math")
        assert len(trace["layers"]) == 3 and trace["task"] == "binary"
        ws.send_json({"type": "export", "what": "script"})
        header, body = until(ws, "file")
        assert header["name"].endswith(".py") and b"chainrule" in body
        compile(body.decode(), header["name"], "exec")
        ws.send_json({"type": "export", "what": "model"})
        header, body = until(ws, "file")
        assert header["name"].endswith(".safetensors") and len(body) > 100
    finally:
        ws.__exit__(None, None, None)
