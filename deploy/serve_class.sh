#!/usr/bin/env bash
# Serve a class from one machine: N Streamlit processes (one per core) behind nginx with session affinity.
#
#   deploy/serve_class.sh                 # one process per core, students open http://<this machine>:8501
#   PROCESSES=4 PORT=80 deploy/serve_class.sh
#
# Settings (environment): PROCESSES (default: the number of cores), PORT (nginx's, default 8501), LISTEN (default
# 0.0.0.0), BACKEND_PORT (the first process's port on 127.0.0.1, default 8601; the others follow), PYTHON (default
# .venv/bin/python, else python3), RUN_DIR (nginx's prefix with its logs, default a new temporary directory).
# Runs in the foreground; Ctrl-C (or SIGTERM) stops nginx and every process.  Needs nginx (Debian: apt-get install
# nginx); it is run with its own configuration, no root needed for a port above 1023.
set -euo pipefail
cd "$(dirname "$0")/.."

PROCESSES=${PROCESSES:-$(nproc)}
PORT=${PORT:-8501}
LISTEN=${LISTEN:-0.0.0.0}
BACKEND_PORT=${BACKEND_PORT:-8601}
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
RUN_DIR=${RUN_DIR:-$(mktemp -d -t visualiser-class.XXXXXX)}
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp"

# One BLAS thread per process: N processes on N cores, and small matrix products do not wait for a second thread.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# One cookie secret for every process: the XSRF cookie one process signed stays valid if nginx ever has to send the
# student to another (a process restarted).
export STREAMLIT_SERVER_COOKIE_SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PYTHON" -c "import secrets; print(secrets.token_hex(32))")}

pids=()
stop() {
  trap - EXIT INT TERM
  [ -f "$RUN_DIR/nginx.pid" ] && kill "$(cat "$RUN_DIR/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

backends=""
for ((i = 0; i < PROCESSES; i++)); do
  port=$((BACKEND_PORT + i))
  "$PYTHON" -m streamlit run app.py --server.address 127.0.0.1 --server.port "$port" --server.headless true \
    --browser.gatherUsageStats false --server.fileWatcherType none >"$RUN_DIR/logs/streamlit-$port.log" 2>&1 &
  pids+=($!)
  backends+="        server 127.0.0.1:$port max_fails=3 fail_timeout=10s;"$'\n'
done

# Wait until every process answers its health check (a process that exits early stops the whole set-up).
"$PYTHON" - "$BACKEND_PORT" "$RUN_DIR" "${pids[@]}" <<'PY'
import os, sys, time, urllib.request
first, run_dir, pids = int(sys.argv[1]), sys.argv[2], [int(pid) for pid in sys.argv[3:]]
deadline = time.monotonic() + 120
for port, pid in zip(range(first, first + len(pids)), pids):
    while True:
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
            sys.exit(f"the Streamlit process on port {port} exited; see {run_dir}/logs/streamlit-{port}.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"the Streamlit process on port {port} did not become healthy in 120 s")
        time.sleep(0.2)
PY

BACKENDS="$backends" PORT="$PORT" LISTEN="$LISTEN" "$PYTHON" - deploy/nginx.conf.template "$RUN_DIR/nginx.conf" <<'PY'
import os, sys
text = open(sys.argv[1]).read()
for name in ("BACKENDS", "PORT", "LISTEN"):
    text = text.replace(f"@{name}@", os.environ[name].rstrip("\n"))
open(sys.argv[2], "w").write(text)
PY

echo "serving on http://$LISTEN:$PORT/ with $PROCESSES Streamlit processes (ports $BACKEND_PORT-$((BACKEND_PORT + PROCESSES - 1))); logs in $RUN_DIR/logs"
"$NGINX" -p "$RUN_DIR" -c nginx.conf -g "daemon off;" &
pids+=($!)
wait -n
