"""The Label Studio round trip against a real Label Studio server: our config and tasks with
pre-annotations go in through its REST API, two users annotate, and its JSON and JSON-MIN exports
come back through `labelstudio-import`.

Label Studio is not a dependency of the project (it is heavy): the test runs where it is installed
in its own virtual environment, `.labelstudio-venv/` (`.ci/run` makes it) or the `label-studio`
program named by LABEL_STUDIO_BIN, and is skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from labeling.__main__ import main
from labeling.annotation import preannotation, schema
from labeling.annotation import records as annotations
from labeling.core.paths import ROOT
from labeling.corpus.seeds import load_segments

pytestmark = pytest.mark.slow

TOKEN = "0123456789abcdef0123456789abcdef01234567"
ADMIN, SECOND = "admin@example.com", "second@example.com"
STARTUP_S = 900
"""A fresh data folder is migrated at start-up, which takes minutes on a busy machine."""


def label_studio_bin() -> Path:
    named = os.environ.get("LABEL_STUDIO_BIN")
    path = Path(named) if named else ROOT / ".labelstudio-venv" / "bin" / "label-studio"
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.skip(f"label-studio not installed: no program at {path} "
                    "(.ci/run installs it into .labelstudio-venv/; or set LABEL_STUDIO_BIN)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running Label Studio and a small client of its REST API (legacy token authentication)."""

    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, path: str, body=None, raw: bool = False):
        request = urllib.request.Request(
            self.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                content = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:500]!r}") from None
        return content if raw else json.loads(content)


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    """Label Studio on a free port of 127.0.0.1 with a throw-away data folder; stopped (its whole
    process group) when the tests end, whether they pass or not."""
    program = label_studio_bin()
    home = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(home / "data"),
        "LABEL_STUDIO_USERNAME": ADMIN,
        "LABEL_STUDIO_PASSWORD": "not-a-secret-1234",
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "HOME": str(home),
    }
    log = (home / "server.log").open("wb")
    process = subprocess.Popen([str(program), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"label-studio exited with {process.returncode}: "
                            + (home / "server.log").read_text(errors="replace")[-2000:])
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                pytest.fail(f"label-studio did not answer on {url} within {STARTUP_S} s")
            time.sleep(2)
        yield Server(url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def regions(labels: dict) -> list[dict]:
    """An annotation's result as the Label Studio editor submits it for our Choices and TextArea tags."""
    out = []
    for field in schema.ANNOTATION_FIELDS:
        value = labels[field]
        if field in schema.TEXT_FIELDS:
            if value:
                out.append({"from_name": field, "to_name": "text", "type": "textarea", "value": {"text": [value]}})
            continue
        out.append({"from_name": field, "to_name": "text", "type": "choices",
                    "value": {"choices": value if isinstance(value, list) else [value]}})
    return out


def test_round_trip_through_label_studio(label_studio, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(annotations, "ANNOTATIONS_DIR", tmp_path / "annotations")
    gold = {json.loads(line)["id"]: json.loads(line)
            for line in (ROOT / "labeling" / "annotations" / "annotator_1.jsonl").read_text(encoding="utf-8").splitlines()}
    segments = load_segments()
    article = segments[0]["article_id"]
    ids = [s["id"] for s in segments if s["article_id"] == article][:5]
    labels = {i: {f: gold[i][f] for f in schema.ANNOTATION_FIELDS} for i in ids}
    # The model gets every topic right and every primary frame wrong.
    wrong = lambda label: next(x for x in schema.FRAME if x != label)  # noqa: E731
    predictions = [p for n, i in enumerate(ids) for p in (
        preannotation.Prediction(i, "topic", labels[i]["topic"], 0.5 + n / 20, "tiny/topic@0"),
        preannotation.Prediction(i, "frame", wrong(labels[i]["frame"]), 0.9, "tiny/frame@0"))]
    preannotation.write(tmp_path / "pred.jsonl", predictions)
    out = tmp_path / "ls"
    assert main(["labelstudio-export", str(out), "--articles", article, "--predictions", str(tmp_path / "pred.jsonl")]) == 0
    tasks = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    ls = label_studio
    project = ls.call("POST", "/api/projects", {"title": "TechSanctions round trip",
                                                "label_config": (out / "labeling_config.xml").read_text(encoding="utf-8")})
    ls.call("POST", f"/api/projects/{project['id']}/import", tasks)
    second = ls.call("POST", "/api/users/", {"email": SECOND, "username": "second"})
    admin = ls.call("GET", "/api/current-user/whoami")
    listed = ls.call("GET", f"/api/tasks?project={project['id']}&fields=all&page_size=1000")
    listed = listed["tasks"] if isinstance(listed, dict) else listed
    assert len(listed) == len(tasks)
    by_segment = {t["data"]["segment_id"]: t for t in listed}
    done_by_admin, done_by_second = ids[:3], ids[:2]
    for i in done_by_admin:  # started from the prediction: topic kept, frame corrected
        task = by_segment[i]
        ls.call("POST", f"/api/tasks/{task['id']}/annotations/",
                {"result": regions(labels[i]), "parent_prediction": task["predictions"][0]["id"]})
    for i in done_by_second:
        ls.call("POST", f"/api/tasks/{by_segment[i]['id']}/annotations/",
                {"result": regions(labels[i]), "completed_by": second["id"]})
    for kind in ("JSON", "JSON_MIN"):
        content = ls.call("GET", f"/api/projects/{project['id']}/export?exportType={kind}&download_all_tasks=true", raw=True)
        (tmp_path / f"{kind}.json").write_bytes(content)
    capsys.readouterr()

    assert main(["labelstudio-import", str(tmp_path / "JSON.json"), "--name", "annotator_5", "--annotator", str(admin["id"])]) == 0
    printed = capsys.readouterr().out
    written = read(annotations.ANNOTATIONS_DIR / "annotator_5.jsonl")
    assert written == {i: {"id": i, **labels[i], "from_prediction": ["topic"]} for i in done_by_admin}
    assert f"read 3 annotations from a JSON export ({len(tasks) - 3} tasks pending, skipped)" in printed
    assert "labels kept from predictions: topic 3/3, frame 0/3" in printed

    assert main(["labelstudio-import", str(tmp_path / "JSON.json"), "--name", "annotator_6", "--annotator", str(second["id"])]) == 0
    written = read(annotations.ANNOTATIONS_DIR / "annotator_6.jsonl")
    assert {i: {k: v for k, v in r.items() if k != "from_prediction"} for i, r in written.items()} == {
        i: {"id": i, **labels[i]} for i in done_by_second}
    assert all(r.get("from_prediction", ["topic"]) == ["topic"] for r in written.values())
    capsys.readouterr()

    assert main(["labelstudio-import", str(tmp_path / "JSON_MIN.json"), "--name", "annotator_7", "--annotator", str(second["id"])]) == 0
    printed = capsys.readouterr().out
    assert read(annotations.ANNOTATIONS_DIR / "annotator_7.jsonl") == {i: {"id": i, **labels[i]} for i in done_by_second}
    assert "JSON-MIN carries no predictions" in printed
    assert f"read 2 annotations from a JSON-MIN export ({len(tasks) - 2} tasks pending, skipped)" in printed

    # Without --annotator, the tasks both users annotated need a choice; nothing is written.
    assert main(["labelstudio-import", str(tmp_path / "JSON_MIN.json"), "--name", "annotator_8"]) == 1
    assert not (annotations.ANNOTATIONS_DIR / "annotator_8.jsonl").exists()


def read(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
