#!/usr/bin/env bash
# Build the Linux one-folder app from pyinstaller.spec: dist/imrdesk/ with the window (imrdesk) and the
# console program (imrdesk-cli) side by side. Work files go to build/pyinstaller/ (both folders are
# git-ignored). Extra arguments go to PyInstaller (e.g. --clean). Run scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" -c "import PyInstaller" >/dev/null 2>&1; then
  echo "build_linux: installing the build tools (.[build])" >&2
  "$PY" -m pip install -q -e ".[build]"
fi
start=$SECONDS
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --workpath build/pyinstaller --distpath dist "$@" pyinstaller.spec
out=dist/imrdesk
test -x "$out/imrdesk" && test -x "$out/imrdesk-cli"
echo "build_linux: $out ($(du -sh "$out" | cut -f1)) built in $((SECONDS - start))s" >&2
