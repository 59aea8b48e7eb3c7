"""The multi-process set-up (issue 14): ``deploy/serve_class.sh`` starts two Streamlit processes behind nginx.

Checked through the load balancer, with simulated students at the websocket level (``tests/streamlit_client.py``):
its health check answers; every student's page and websocket reach one and the same process (session affinity:
Streamlit keeps a session in the memory of the process that opened it), the class is spread over both processes,
and each student's page runs and answers a learning-rate change without an error.  Needs nginx (Debian: ``apt-get
install nginx``); ``.ci/run`` installs it, and in CI a missing nginx is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

import browser_support as bs
import streamlit_client as sc

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
STUDENTS = 12  # all on one of two processes by chance: 2 × 2⁻¹² (the route keys are random)

pytestmark = pytest.mark.skipif(NGINX is None and not os.environ.get("REQUIRE_BROWSER"), reason="nginx not installed")


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """``deploy/serve_class.sh`` with two processes on free loopback ports: (its URL, its run directory)."""
    run_dir = tmp_path_factory.mktemp("class")
    port = bs.free_port()
    env = {**os.environ, "PROCESSES": "2", "PORT": str(port), "LISTEN": "127.0.0.1", "RUN_DIR": str(run_dir),
           "BACKEND_PORT": str(bs.free_port()), "PYTHON": sys.executable}
    process = subprocess.Popen(["bash", "deploy/serve_class.sh"], cwd=bs.REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 150
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve_class.sh exited with {process.returncode}: {process.stdout.read()!r}")
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve_class.sh did not answer in 150 s")
            time.sleep(0.3)
        yield url, Path(run_dir)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_load_balancer_and_each_process_answer_their_health_checks(class_server):
    url, run_dir = class_server
    with urllib.request.urlopen(url + "healthz", timeout=10) as response:
        assert response.status == 200 and response.read() == b"ok"
    config = (run_dir / "nginx.conf").read_text()
    backends = re.findall(r"server 127\.0\.0\.1:(\d+)", config)
    assert len(backends) == 2
    for port in backends:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as response:
            assert response.read() == b"ok"


async def a_class(url: str) -> list:
    async def student() -> tuple:
        me = sc.Student(url, timeout=150)
        first = await me.open()
        change = await me.move_run_slider(0, "lr", 2)
        await me.close()
        return me.cookie, first, change

    return await asyncio.gather(*(student() for _ in range(STUDENTS)))


def test_each_student_stays_on_one_process_and_the_class_is_spread_over_both(class_server):
    url, run_dir = class_server
    results = asyncio.run(a_class(url))
    for _cookie, first, change in results:
        assert first.status in sc.FINISHED and not first.exceptions
        assert change.status in sc.FINISHED and not change.exceptions
    routes = {re.search(r"visualiser_route=(\w+)", cookie).group(1) for cookie, _, _ in results}
    assert len(routes) == STUDENTS  # each student got a route of their own from the first response

    for cookie, _, _ in results:  # a student's later requests (a reconnect, a media file) come with the cookie
        for _ in range(3):
            request = urllib.request.Request(url + "_stcore/health", headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200

    time.sleep(1.0)  # nginx writes a websocket's line when it closes
    upstreams = defaultdict(set)
    requests = defaultdict(list)
    for line in (run_dir / "logs" / "access.log").read_text().splitlines():
        match = re.search(r"route=(\w+) upstream=(\S+) status=(\d+) \"(\w+) (\S+)", line)
        if match and match.group(1) in routes:
            upstreams[match.group(1)].add(match.group(2))
            requests[match.group(1)].append(match.group(5))
    assert set(upstreams) == routes
    for route in routes:
        assert any(path.startswith("/_stcore/stream") for path in requests[route]), requests[route]
        assert any(path == "/" for path in requests[route]), requests[route]
        assert requests[route].count("/_stcore/health") == 3, requests[route]
        assert len(upstreams[route]) == 1, (route, upstreams[route])  # page and websocket: one process
    assert len({next(iter(found)) for found in upstreams.values()}) == 2


def test_the_container_and_cluster_files_describe_the_same_set_up():
    """The Dockerfile runs the tested script; compose builds that Dockerfile from the repository; the Kubernetes
    manifests probe each pod's ``/_stcore/health`` and pin each browser to one pod (a cookie at the Ingress, the
    client's address at the Service).  (No container is built here: the machine has no Docker daemon.)"""
    yaml = pytest.importorskip("yaml")
    deploy = bs.REPO / "deploy"
    dockerfile = (deploy / "Dockerfile").read_text()
    assert 'CMD ["bash", "deploy/serve_class.sh"]' in dockerfile
    assert os.access(deploy / "serve_class.sh", os.X_OK)
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())["services"]["visualiser"]
    assert (deploy / compose["build"]["context"] / compose["build"]["dockerfile"]).resolve() == deploy / "Dockerfile"
    assert compose["ports"] == ["8501:8501"] and "/healthz" in " ".join(compose["healthcheck"]["test"])
    documents = {doc["kind"]: doc for doc in yaml.safe_load_all((deploy / "kubernetes" / "visualiser.yaml").read_text())}
    container = documents["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][2:4] == ["streamlit", "run"] and "app.py" in container["command"]
    assert container["readinessProbe"]["httpGet"]["path"] == container["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert documents["Service"]["spec"]["sessionAffinity"] == "ClientIP"
    annotations = documents["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    backend = documents["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == documents["Service"]["metadata"]["name"]
