#!/usr/bin/env bash
# Starts a Docker daemon (Debian's docker.io) if none answers, and waits until `docker info`
# works. Idempotent: does nothing when a daemon is already reachable. Needs root.
# Storage driver: overlay2, falling back to vfs where overlay mounts are not permitted.
set -euo pipefail

LOG="${DOCKERD_LOG:-/tmp/servestack-dockerd.log}"
WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"
PID_FILE=/tmp/servestack-dockerd.pid

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-dockerd: dockerd not found; install it with: apt-get install -y docker.io" >&2
  exit 1
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "start-dockerd: must run as root to start dockerd" >&2
  exit 1
fi

start() {
  local driver="$1"
  nohup dockerd --storage-driver="$driver" >"$LOG" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq "$WAIT_SECONDS"); do
    if docker info >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      return 1
    fi
    sleep 1
  done
  return 1
}

if start overlay2; then
  echo "start-dockerd: dockerd up (overlay2)"
  exit 0
fi
kill "$(cat "$PID_FILE")" 2>/dev/null || true
wait "$(cat "$PID_FILE")" 2>/dev/null || true
if start vfs; then
  echo "start-dockerd: dockerd up (vfs)"
  exit 0
fi
echo "start-dockerd: dockerd did not come up; see $LOG" >&2
exit 1
