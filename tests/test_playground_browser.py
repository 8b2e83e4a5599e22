"""The playground end to end: a real uvicorn server and a real headless Chromium.

Skipped when Chromium (/usr/bin/chromium) or playwright is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} for the browser tests", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("uvicorn", reason="uvicorn is not installed")


@pytest.fixture(scope="module")
def server_url():
    """``chainrule playground --port 0 --no-browser`` in a subprocess; its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://\S+", line)
    assert match, f"the server printed {line!r}"
    yield match.group(0)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()
    assert errors == [], errors


def by_id(page, testid: str):
    return page.locator(f"[data-testid={testid}]")


def number(page, testid: str) -> float:
    text = by_id(page, testid).text_content() or ""
    return float(text) if re.fullmatch(r"-?[0-9.]+", text.strip()) else float("nan")


def wait_for(page, condition, timeout: float = 15.0, what: str = "condition"):
    """Poll ``condition`` (page.wait_for_timeout lets playwright process the page's
    events in between, which time.sleep would not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def load(page, url: str, query: str = "") -> None:
    page.goto(url + query)
    wait_for(
        page, lambda: number(page, "test-loss") == number(page, "test-loss"), what="first frame"
    )


def test_pick_data_play_pause_step_reset(page, server_url):
    load(page, server_url, "?seed=5")
    assert number(page, "epoch") == 0
    by_id(page, "dataset-xor").click()
    wait_for(page, lambda: "dataset=xor" in page.url, what="the URL to follow the data set")
    assert "selected" in (by_id(page, "dataset-xor").get_attribute("class") or "")
    start_loss = wait_for(page, lambda: number(page, "test-loss"), what="a test loss")
    by_id(page, "play-pause").click()
    wait_for(page, lambda: number(page, "epoch") >= 20, what="20 epochs")
    wait_for(
        page, lambda: number(page, "test-loss") < 0.7 * start_loss, what="the test loss to fall"
    )
    by_id(page, "play-pause").click()
    wait_for(
        page, lambda: "playing" not in (by_id(page, "play-pause").get_attribute("class") or "")
    )
    page.wait_for_timeout(300)
    paused = number(page, "epoch")
    page.wait_for_timeout(300)
    assert number(page, "epoch") == paused
    by_id(page, "step").click()
    wait_for(page, lambda: number(page, "epoch") == paused + 1, what="one more epoch")
    by_id(page, "reset").click()
    wait_for(page, lambda: number(page, "epoch") == 0, what="epoch 0 after reset")
    # The output heatmap is drawn: its pixels hold both colours of the diverging scale.
    colours = page.evaluate("""() => {
        const c = document.querySelector('[data-testid=output-heatmap]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let orange = 0, blue = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] > 200 && d[i + 2] < 150) orange++;
            if (d[i + 2] > 180 && d[i] < 120) blue++;
        }
        return [orange, blue];
    }""")
    assert min(colours) > 100, colours


def test_change_the_architecture_and_the_url_follows(page, server_url):
    load(page, server_url, "?seed=5")
    wait_for(page, lambda: page.locator(".node.hidden").count() == 6, what="6 hidden neurons")
    by_id(page, "add-layer").click()
    wait_for(page, lambda: "networkShape=4,2,2" in page.url, what="a third layer")
    wait_for(page, lambda: page.locator(".node.hidden").count() == 8, what="8 hidden neurons")
    by_id(page, "add-neuron-3").click()
    wait_for(page, lambda: "networkShape=4,2,3" in page.url, what="a neuron more")
    by_id(page, "remove-layer").click()
    wait_for(page, lambda: "networkShape=4,2&" in page.url, what="two layers left")
    by_id(page, "remove-layer").click()
    wait_for(page, lambda: "networkShape=4&" in page.url, what="one layer left")
    by_id(page, "activation").select_option("relu")
    wait_for(page, lambda: "activation=relu" in page.url, what="ReLU")
    by_id(page, "learning-rate").select_option("0.3")
    wait_for(page, lambda: "learningRate=0.3" in page.url, what="the learning rate")
    by_id(page, "layer-activation-1").select_option("sigmoid")
    wait_for(page, lambda: "activation=sigmoid" in page.url, what="the layer's activation")
    # The link reproduces the experiment: a new tab opens with the same settings.
    url = page.url
    load(page, url)
    wait_for(page, lambda: page.locator(".node.hidden").count() == 4, what="4 hidden neurons")
    assert page.url == url
    wait_for(page, lambda: by_id(page, "learning-rate").input_value() == "0.3", what="lr 0.3")


def test_upload_a_csv_and_a_bad_one(page, server_url, tmp_path):
    load(page, server_url, "?seed=5")
    rng = np.random.default_rng(0)
    X = rng.uniform(-5, 5, (80, 2)).round(3)
    good = tmp_path / "quadrants.csv"
    good.write_text("x1,x2,label\n" + "\n".join(f"{a},{b},{int(a > 0) + int(b > 0)}" for a, b in X))
    by_id(page, "upload-csv").set_input_files(str(good))
    wait_for(
        page, lambda: "quadrants.csv" in page.locator("#data-name").text_content(), what="upload"
    )
    wait_for(page, lambda: page.locator(".node.output").count() == 3, what="3 class outputs")
    by_id(page, "step").click()
    wait_for(page, lambda: number(page, "epoch") == 1, what="an epoch on the uploaded data")
    assert by_id(page, "confusion").count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,x3,label\n1,2,3,0\n2,3,4,1\n")
    by_id(page, "upload-csv").set_input_files(str(bad))
    # Other messages may be on the page already: wait for the one about this file.
    wait_for(
        page,
        lambda: any(
            "feature column" in text for text in page.locator(".message").all_text_contents()
        ),
        what="the error about the bad file",
    )
    assert "quadrants.csv" in page.locator("#data-name").text_content()  # still the old data


def test_export_the_model_and_the_script(page, server_url, tmp_path):
    load(page, server_url, "?seed=5&dataset=gauss")
    by_id(page, "step").click()
    wait_for(page, lambda: number(page, "epoch") == 1, what="an epoch")
    with page.expect_download() as download:
        by_id(page, "export-script").click()
    script = tmp_path / download.value.suggested_filename
    download.value.save_as(script)
    result = subprocess.run(
        [sys.executable, str(script), "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("epoch 1 ")
    with page.expect_download() as download:
        by_id(page, "export-model").click()
    assert download.value.suggested_filename.endswith(".safetensors")
    model = tmp_path / "model.safetensors"
    download.value.save_as(model)
    from chainrule import serialization

    assert sorted(serialization.load(str(model)))[0] == "0.bias"


def test_show_the_math_steps_through_one_point(page, server_url):
    load(page, server_url, "?seed=5&networkShape=3")
    by_id(page, "math").click()
    by_id(page, "math-random").click()
    by_id(page, "math-step").wait_for()
    assert by_id(page, "math-step").text_content() == "Input"
    names = []
    for _ in range(6):
        by_id(page, "math-next").click()
        names.append(by_id(page, "math-step").text_content())
    assert names == [
        "Forward: hidden layer 1",
        "Forward: output layer",
        "Loss",
        "Backward: output layer",
        "Backward: hidden layer 1",
        "Update",
    ]
    by_id(page, "math-prev").click()
    body = by_id(page, "math-body").text_content()
    assert "dL/da" in body and "g′" in body
    assert page.locator(".node-value").count() >= 3  # numbers written on the drawing
