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
# what pyinstaller.spec leaves out must stay out: OpenCV (imrdesk.extract.cv2_lite stands in for it), Qt's
# translations and software OpenGL, RapidOCR's own models (the app loads the smaller ones of resources/ocr)
for unused in 'cv2' 'opencv_python_headless.libs' 'libavcodec*' 'opengl32sw*' 'qtbase_*.qm'; do
  if find "$out" -name "$unused" | grep -q .; then
    echo "build_linux: $unused should have been left out (pyinstaller.spec)" >&2
    exit 1
  fi
done
if find "$out/_internal/rapidocr" -name '*.onnx' | grep -q .; then
  echo "build_linux: RapidOCR's own models should have been left out (pyinstaller.spec)" >&2
  exit 1
fi
for model in resources/ocr/*.onnx; do
  cmp -s "$model" "$out/_internal/$model" || { echo "build_linux: $model is not in $out as committed" >&2; exit 1; }
done
echo "build_linux: $out ($(du -sh "$out" | cut -f1)) built in $((SECONDS - start))s" >&2
