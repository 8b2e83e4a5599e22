"""The playground's session logic, without a server: training, edits, uploads, frames,
"show the math" (checked against a hand computation) and the exports."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.playground.network import Network, Task
from chainrule.playground.protocol import Message, unpack
from chainrule.playground.session import GRID, Session, SessionError, hello, parse_csv
from chainrule.playground.state import Limits


def act(session: Session, kind: str, **args):
    return session.handle(Message(kind, args))


def weights(session: Session) -> list[np.ndarray]:
    return [p.numpy().copy() for p in session.network.parameters()]


# ---------------------------------------------------------------------- training


def test_default_network_learns_the_circle():
    session = Session.from_query("seed=5")
    start = session.metrics()
    for _ in range(30):
        session.train_epoch()
    end = session.metrics()
    assert session.epoch == 30
    assert end["testLoss"] < 0.5 * start["testLoss"]
    assert end["testAcc"] > 0.9
    assert sum(map(sum, end["confusion"])) == len(session.X_test)


def test_split_follows_the_ratio():
    session = Session.from_query("seed=1&percTrainData=30")
    assert (len(session.X_train), len(session.X_test)) == (150, 350)
    act(session, "set", settings={"percTrainData": 70})
    assert (len(session.X_train), len(session.X_test)) == (350, 150)


def test_step_trains_exactly_one_epoch_in_slices():
    session = Session.from_query("seed=1&batchSize=1")
    act(session, "step")
    assert session.wants_training and not session.playing
    while session.wants_training:
        session.train_for(0.001)
    assert session.epoch == 1 and session.position == 0


def test_learning_rate_changes_live_without_reset():
    session = Session.from_query("seed=1")
    session.train_epoch()
    before = weights(session)
    replies = act(session, "set", settings={"learningRate": 0.3})
    assert session.epoch == 1
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(session)))
    assert session.optimizer.param_groups[0]["lr"] == 0.3
    assert replies[0]["type"] == "state" and "learningRate=0.3" in replies[0]["query"]


def test_optimizer_and_dropout_change_live():
    session = Session.from_query("seed=1")
    session.train_epoch()
    before = weights(session)
    act(session, "set", settings={"optimizer": "adam", "dropout": 0.2})
    assert type(session.optimizer).__name__ == "Adam"
    assert any(type(m).__name__ == "Dropout" for m in session.network.model.children())
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(session)))
    session.train_epoch()
    assert session.epoch == 2


def test_architecture_change_resets_and_reset_repeats_the_seed():
    session = Session.from_query("seed=9")
    first = weights(session)
    session.train_epoch()
    act(session, "reset")
    assert session.epoch == 0
    assert all(np.array_equal(a, b) for a, b in zip(first, weights(session)))
    act(session, "set", settings={"networkShape": [3, 3, 3], "activation": "relu"})
    assert [lin.out_features for lin in session.network.linears] == [3, 3, 3, 1]
    assert session.network.activation_names == ["relu"] * 3


def test_regenerate_draws_a_new_seed_and_new_points():
    session = Session.from_query("seed=9")
    X = session.X.copy()
    replies = act(session, "regenerate")
    assert session.settings["seed"] != 9
    assert not np.array_equal(X, session.X)
    assert [r["type"] for r in replies] == ["state", "data"]


def test_regression_and_multiclass_tasks():
    session = Session.from_query("problem=regression&regDataset=reg_gauss&seed=2")
    assert session.task == Task("regression", 0) and len(session.X) == 1200
    session.train_epoch()
    assert session.metrics()["trainAcc"] is None
    session = Session.from_query("dataset=blobs&classes=4&seed=2")
    assert session.task == Task("multiclass", 4)
    assert session.network.linears[-1].out_features == 4
    for _ in range(5):
        session.train_epoch()
    m = session.metrics()
    assert np.array(m["confusion"]).shape == (4, 4) and m["testAcc"] > 0.8


def test_diverging_training_pauses_with_a_notice():
    session = Session.from_query("seed=1&problem=regression&learningRate=10&activation=relu")
    act(session, "play")
    for _ in range(30):
        session.train_epoch()
        session.frame()
        if not session.playing:
            break
    assert not session.playing
    assert any("diverged" in notice for notice in session.notices)


# ------------------------------------------------------------------- edits, points


def test_weights_and_biases_can_be_edited():
    session = Session.from_query("seed=1")
    act(session, "set_weight", layer=1, row=1, col=3, value=2.5)
    act(session, "set_bias", layer=2, row=0, value=-0.75)
    assert session.network.linears[1].weight.numpy()[1, 3] == 2.5
    assert session.network.linears[2].bias.numpy()[0] == -0.75
    session.train_epoch()  # still trains


@pytest.mark.parametrize(
    "args, fragment",
    [
        ({"layer": 3, "row": 0, "col": 0, "value": 1.0}, "does not exist"),
        ({"layer": 0, "row": 4, "col": 0, "value": 1.0}, "has 4 neurons"),
        ({"layer": 0, "row": 0, "col": 2, "value": 1.0}, "have 2 inputs"),
    ],
)
def test_editing_a_weight_that_does_not_exist_is_an_error(args, fragment):
    session = Session.from_query("seed=1")
    with pytest.raises(SessionError, match=fragment):
        act(session, "set_weight", **args)


def test_clicked_points_join_the_training_set():
    session = Session.from_query("seed=1")
    n_train, n_test = len(session.X_train), len(session.X_test)
    replies = act(session, "add_point", x=1.5, y=-2.0, label=1)
    act(session, "add_point", x=0.5, y=0.0, label=0)
    assert (len(session.X_train), len(session.X_test)) == (n_train + 2, n_test)
    assert session.X_train[n_train].tolist() == [1.5, -2.0] and session.y_train[n_train] == 1
    assert replies[0]["custom"] and "2 added points" in session.custom
    session.train_epoch()
    with pytest.raises(SessionError, match="class must be 0 to 1"):
        act(session, "add_point", x=0.0, y=0.0, label=2)


def test_point_limit_is_enforced():
    session = Session(Session.from_query("seed=1").settings, Limits(max_points=501))
    act(session, "add_point", x=0.0, y=0.0, label=1)
    with pytest.raises(SessionError, match="max-points"):
        act(session, "add_point", x=0.0, y=0.0, label=1)


# -------------------------------------------------------------------- CSV upload


def csv_text(rows, header="x1,x2,label"):
    lines = ([header] if header else []) + [",".join(map(str, r)) for r in rows]
    return "\n".join(lines) + "\n"


def test_upload_binary_csv_with_minus_one_plus_one_labels():
    rng = np.random.default_rng(0)
    X = rng.uniform(-5, 5, (40, 2)).round(3)
    y = np.where(X[:, 0] > 0, 1, -1)
    session = Session.from_query("seed=1")
    replies = act(session, "upload", name="mine.csv", text=csv_text(np.column_stack([X, y])))
    assert session.task == Task("binary", 2) and len(session.X) == 40
    assert session.custom.startswith("uploaded: mine.csv")
    assert replies[0]["type"] == "state" and replies[1]["type"] == "data"
    # label -1 became class 0, +1 class 1, as the generators' convention
    assert set(np.unique(session.y).tolist()) == {0, 1}
    for _ in range(20):
        session.train_epoch()
    assert session.metrics()["trainAcc"] > 0.85


def test_upload_text_labels_and_regression_and_scaling():
    X, y, note = parse_csv(
        csv_text([[0, 0, "cat"], [1, 1, "dog"], [2, 0, "emu"], [0, 2, "cat"]]), "a.csv", 100
    )
    assert y.tolist() == [0, 1, 2, 0] and "0 = cat" in note
    X, y, note = parse_csv(
        csv_text([[0, 0, 0.5], [10, 1, -0.25], [2, 20, 0.1], [1, 1, 0.7]]), "b.csv", 100
    )
    assert y.dtype == np.float32 and np.abs(X).max() <= 6.0 and "scaled" in note


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("x1,x2,x3,label\n1,2,3,0\n2,3,4,1\n3,4,5,0\n4,5,6,1\n", "3 feature columns"),
        ("x,label\n1,0\n2,1\n3,0\n4,1\n", "1 feature column"),
        ("x1,x2,label\n1,abc,0\n2,3,1\n3,4,0\n4,5,1\n", "abc"),
        ("x1,x2,label\n1,2\n2,3,1\n", "line 2"),
        ("x1,x2,label\n1,2,0\n2,3,1\n", "at least 4"),
        (csv_text([[i, i, "abcdef"[i % 6]] for i in range(12)]), "at most 5"),
        (csv_text([[i % 5, i % 5, i % 2] for i in range(30)]), "at most 20 points"),
    ],
)
def test_bad_uploads_get_clear_messages(text, fragment):
    session = Session(Session.from_query("seed=1").settings, Limits(max_points=20))
    with pytest.raises(SessionError, match=fragment) as info:
        act(session, "upload", name="bad.csv", text=text)
    assert "/tmp" not in str(info.value)  # the message names the upload, not a temp file
    assert session.custom is None and len(session.X) == 500  # the old data is kept


# ------------------------------------------------------------------------- frames


def test_frame_is_a_small_json_header_and_byte_heatmaps():
    session = Session.from_query("seed=1")
    header, body = unpack(session.frame())
    assert header["kind"] == "frame" and header["epoch"] == 0 and header["grid"] == GRID
    ids = [name for name, _ in header["maps"]]
    assert ids[:7] == ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]
    assert ids[7:] == ["h1.0", "h1.1", "h1.2", "h1.3", "h2.0", "h2.1", "o.0"]
    assert len(body) == len(ids) * GRID * GRID
    assert [np.array(w).shape for w in header["weights"]] == [(4, 2), (2, 4), (1, 2)]
    # the output map is the network's output on the grid, encoded as (v + 1) * 127.5
    out = np.frombuffer(body[-GRID * GRID :], np.uint8).reshape(GRID, GRID)
    grid = np.array([[-6.0, 6.0], [6.0, -6.0]], np.float32)  # top-left, bottom-right
    expected = session.network.predict(grid)[:, 0]
    assert abs(out[0, 0] / 127.5 - 1 - expected[0]) < 0.01
    assert abs(out[-1, -1] / 127.5 - 1 - expected[1]) < 0.01
    # constant feature maps are sent once per network
    header2, body2 = unpack(session.frame())
    assert [name for name, _ in header2["maps"]][0] == "h1.0"
    assert len(body2) == 7 * GRID * GRID and header2["seq"] == header["seq"] + 1


def test_multiclass_frame_sends_class_probabilities():
    session = Session.from_query("dataset=spirals&classes=3&seed=1")
    header, body = unpack(session.frame())
    outputs = [m for m in header["maps"] if m[0].startswith("o.")]
    assert outputs == [["o.0", "prob"], ["o.1", "prob"], ["o.2", "prob"]]
    size = GRID * GRID
    p = np.frombuffer(body[-3 * size :], np.uint8).reshape(3, size).astype(float) / 255
    assert np.allclose(p.sum(axis=0), 1.0, atol=0.02)


def test_hello_lists_data_sets_with_pictures():
    message = hello(Limits())
    assert set(message["thumbnails"]) >= {"circle", "xor", "gauss", "spiral", "reg_plane"}
    assert message["multiclass"] == ["spirals", "blobs"]
    assert message["limits"]["max_layers"] == 6


# --------------------------------------------------------------- show the math


def _tanh_net_by_hand(W1, b1, W2, b2, x, t):
    a1 = W1 @ x + b1
    h1 = np.tanh(a1)
    a2 = W2 @ h1 + b2
    y = np.tanh(a2)
    loss = 0.5 * ((y - t) ** 2).sum()
    dy = y - t
    da2 = dy * (1 - y**2)
    dW2, db2 = np.outer(da2, h1), da2
    dh1 = W2.T @ da2
    da1 = dh1 * (1 - h1**2)
    dW1, db1 = np.outer(da1, x), da1
    return dict(
        a1=a1,
        h1=h1,
        a2=a2,
        y=y,
        loss=loss,
        dy=dy,
        da2=da2,
        dW2=dW2,
        db2=db2,
        dh1=dh1,
        da1=da1,
        dW1=dW1,
        db1=db1,
    )


def test_math_trace_matches_a_hand_computation():
    session = Session.from_query("seed=4&networkShape=3&features=x1,x2,x1x2")
    session.train_epoch()
    (reply_state, trace) = act(session, "math", x=1.0, y=2.0)
    assert trace["type"] == "math" and not session.playing
    index = trace["point"]["index"]
    nearest = np.hypot(*(session.X_train - [1.0, 2.0]).T).argmin()
    assert index == nearest
    x = session.F_train[index].astype(np.float64)
    t = 2.0 * session.y_train[index] - 1.0  # labels 0/1 are targets -1/+1
    (l1, l2) = session.network.linears
    p = [np.asarray(v.numpy(), np.float64) for v in (l1.weight, l1.bias, l2.weight, l2.bias)]
    hand = _tanh_net_by_hand(*p, x, t)
    hidden, out = trace["layers"]
    close = dict(rtol=1e-4, atol=1e-6)
    assert trace["target"] == t
    np.testing.assert_allclose(trace["input"], x, **close)
    np.testing.assert_allclose(hidden["a"], hand["a1"], **close)
    np.testing.assert_allclose(hidden["h"], hand["h1"], **close)
    np.testing.assert_allclose(out["a"], hand["a2"], **close)
    np.testing.assert_allclose(out["h"], hand["y"], **close)
    np.testing.assert_allclose(trace["loss"], hand["loss"], **close)
    # backward: dL/dh, g'(a), dL/da = dL/dh * g'(a), dL/dW = dL/da h^T, dL/db = dL/da
    np.testing.assert_allclose(out["dh"], hand["dy"], **close)
    np.testing.assert_allclose(out["gprime"], 1 - hand["y"] ** 2, **close)
    np.testing.assert_allclose(out["da"], hand["da2"], **close)
    np.testing.assert_allclose(out["dW"], hand["dW2"], **close)
    np.testing.assert_allclose(out["db"], hand["db2"], **close)
    np.testing.assert_allclose(out["dprev"], hand["dh1"], **close)  # W^T dL/da
    np.testing.assert_allclose(hidden["dh"], hand["dh1"], **close)
    np.testing.assert_allclose(hidden["gprime"], 1 - hand["h1"] ** 2, **close)
    np.testing.assert_allclose(hidden["da"], hand["da1"], **close)
    np.testing.assert_allclose(hidden["dW"], hand["dW1"], **close)
    np.testing.assert_allclose(hidden["db"], hand["db1"], **close)
    # the trace leaves the training state alone
    grads = [p.grad.numpy().copy() for p in session.network.parameters()]
    act(session, "math")
    assert all(
        np.array_equal(g, p.grad.numpy()) for g, p in zip(grads, session.network.parameters())
    )


def test_math_trace_softmax_relu_and_linear():
    cr.manual_seed(0)
    net = Network(2, [4], ["relu"], Task("multiclass", 3))
    x = np.array([0.7, -1.3], np.float32)
    trace = net.trace(x, 2)
    hidden, out = trace["layers"]
    W1, b1 = net.linears[0].weight.numpy(), net.linears[0].bias.numpy()
    W2, b2 = net.linears[1].weight.numpy(), net.linears[1].bias.numpy()
    a1 = W1 @ x + b1
    h1 = np.maximum(a1, 0)
    a2 = W2 @ h1 + b2
    p = np.exp(a2 - a2.max()) / np.exp(a2 - a2.max()).sum()
    close = dict(rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["h"], p, **close)
    np.testing.assert_allclose(trace["loss"], -np.log(p[2]), **close)
    np.testing.assert_allclose(out["da"], p - np.eye(3)[2], **close)  # p - e_y
    np.testing.assert_allclose(hidden["gprime"], (a1 > 0).astype(float), **close)
    np.testing.assert_allclose(hidden["da"], (W2.T @ (p - np.eye(3)[2])) * (a1 > 0), **close)
    assert out["gprime"] is None and out["dh"] is None

    net = Network(1, [], [], Task("regression", 0))
    trace = net.trace(np.array([2.0], np.float32), 0.5)
    (only,) = trace["layers"]
    w, b = net.linears[0].weight.numpy()[0, 0], net.linears[0].bias.numpy()[0]
    np.testing.assert_allclose(only["da"], [w * 2.0 + b - 0.5], rtol=1e-5)
    np.testing.assert_allclose(only["dW"], [[(w * 2.0 + b - 0.5) * 2.0]], rtol=1e-5)


# -------------------------------------------------------------------------- export


def run_script(source: str, tmp_path, *args: str) -> str:
    path = tmp_path / "experiment.py"
    path.write_text(source)
    result = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_exported_script_retrains_the_same_run(tmp_path):
    query = "seed=11&dataset=xor&networkShape=3,2&activation=relu,tanh&regularization=L2"
    session = Session.from_query(query + "&regularizationRate=0.01&optimizer=momentum")
    for _ in range(3):
        session.train_epoch()
    out = run_script(session.script(), tmp_path, "--save", "w.safetensors")
    last = out.strip().splitlines()[-2]
    m = session.metrics()
    assert last.startswith("epoch 3 ")
    assert f"train loss {m['trainLoss']!r}" in last and f"test loss {m['testLoss']!r}" in last
    saved = cr.load(str(tmp_path / "w.safetensors"))
    for key, value in session.network.model.state_dict().items():
        np.testing.assert_array_equal(saved[key].numpy(), value.numpy())


def test_exported_script_with_uploaded_multiclass_data_runs(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.uniform(-4, 4, (60, 2)).round(2)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    session = Session.from_query("seed=3&dropout=0.1&optimizer=adam")
    act(session, "upload", name="three.csv", text=csv_text(np.column_stack([X, y])))
    act(session, "add_point", x=1.0, y=1.0, label=2)
    assert session.task == Task("multiclass", 3)
    session.train_epoch()
    out = run_script(session.script(), tmp_path, "--epochs", "2")
    assert "epoch 2 " in out and "test accuracy" in out


def test_exported_model_is_safetensors_with_pytorch_names():
    session = Session.from_query("seed=1")
    (message,) = act(session, "export", what="model")
    header, body = unpack(message)
    assert header["name"].endswith(".safetensors")
    from safetensors.numpy import load

    tensors = load(body)
    assert sorted(tensors) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    np.testing.assert_array_equal(tensors["2.weight"], session.network.linears[1].weight.numpy())


def test_no_hidden_layer_is_a_linear_model():
    session = Session.from_query("seed=1&networkShape=&features=x1sq,x2sq")
    assert session.settings["networkShape"] == [] and len(session.network.linears) == 1
    for _ in range(25):
        session.train_epoch()
    header, body = unpack(session.frame())
    assert [name for name, _ in header["maps"]][7:] == ["o.0"]
    assert session.metrics()["testAcc"] > 0.9  # x1^2 and x2^2 separate the circle
    trace = session.math_message(0)
    assert len(trace["layers"]) == 1 and trace["layers"][0]["dprev"] is None


def test_clicked_points_survive_a_new_split_and_keep_the_task():
    session = Session.from_query("seed=1&dataset=blobs&classes=5")
    act(session, "add_point", x=0.0, y=0.0, label=4)
    act(session, "set", settings={"percTrainData": 80})
    assert session.custom and len(session.X) == 501 and len(session.X_train) == 401
    assert session.task == Task("multiclass", 5)
    act(session, "set", settings={"noise": 10})  # a new data set drops the clicked points
    assert session.custom is None and len(session.X) == 500


def test_frames_report_each_layers_health_with_the_courses_advice():
    dying = Session.from_query("seed=3&dataset=spiral&activation=relu&learningRate=3")
    for _ in range(30):
        dying.train_epoch()
    header, _ = unpack(dying.frame())
    assert [layer["layer"] for layer in header["health"]] == [1, 2]
    assert any(layer["problem"] == "dead" and layer["advice"] for layer in header["health"])
    assert all(layer["gradNorm"] is None or layer["gradNorm"] >= 0 for layer in header["health"])

    healthy = Session.from_query("seed=5")  # tanh, lr 0.03 on the circle
    for _ in range(5):
        healthy.train_epoch()
    header, _ = unpack(healthy.frame())
    assert all(layer["problem"] == "saturated" for layer in header["health"])
    assert not any(layer["advice"] for layer in header["health"])
