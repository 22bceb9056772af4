"""Packaging checks that build nothing: the spec, the icons, the build scripts, the version flag.

The real frozen build is proved by .ci/run (scripts/build_linux.sh + tests/test_packaging_frozen.py).
"""

from __future__ import annotations

import ast
import os
import re
import struct
import subprocess
import sys
import types
from pathlib import Path

import imrdesk

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "pyinstaller.spec"


def _run_spec(monkeypatch, tmp_path, platform: str) -> dict:
    """Execute the spec with PyInstaller's build classes stood in for; return what it asked for."""
    calls: dict = {"EXE": [], "COLLECT": [], "Analysis": [], "PYZ": []}

    def recorder(kind):
        def record(*args, **kwargs):
            calls[kind].append((args, kwargs))
            fields = {"scripts": [], "pure": [], "binaries": [], "datas": [], **kwargs}
            return types.SimpleNamespace(kind=kind, **fields)

        return record

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda pkg, **options: [f"{pkg}.stub"]
    hooks.collect_data_files = lambda pkg, **options: []
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)
    namespace = {
        "__name__": "__main__",
        "SPECPATH": str(ROOT),
        "workpath": str(tmp_path / "work"),
        "Analysis": recorder("Analysis"),
        "PYZ": recorder("PYZ"),
        "EXE": recorder("EXE"),
        "COLLECT": recorder("COLLECT"),
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    calls["namespace"] = namespace
    return calls


def test_spec_is_python_and_names_both_executables():
    source = SPEC.read_text(encoding="utf-8")
    ast.parse(source)
    assert '"imrdesk", console=False' in source
    assert '"imrdesk-cli", console=True' in source
    assert "/work/" not in source and "../shared" not in source


def test_spec_builds_one_folder_with_a_window_and_a_console_exe(monkeypatch, tmp_path):
    calls = _run_spec(monkeypatch, tmp_path, "linux")
    exes = {kw["name"]: kw for _, kw in calls["EXE"]}
    assert set(exes) == {"imrdesk", "imrdesk-cli"}
    assert exes["imrdesk"]["console"] is False and exes["imrdesk-cli"]["console"] is True
    assert all(kw["exclude_binaries"] for kw in exes.values())  # one folder, not one file
    ((collect_args, collect_kwargs),) = calls["COLLECT"]
    assert collect_kwargs["name"] == "imrdesk"
    assert {getattr(a, "name", None) for a in collect_args} >= {"imrdesk", "imrdesk-cli"}

    ((analysis_args, analysis),) = calls["Analysis"]
    assert [Path(p).name for p in analysis_args[0]] == ["main.py"]
    assert (str(ROOT / "resources"), "resources") in analysis["datas"]
    hidden = set(analysis["hiddenimports"])
    assert {"imrdesk.stub", "pypdfium2_raw", "sqlite_utils", "openpyxl", "platformdirs"} <= hidden
    assert any(h.startswith("cryptography") for h in hidden)
    assert {"matplotlib.backends.backend_agg", "matplotlib.backends.backend_qtagg"} <= hidden  # insights
    excluded = set(analysis["excludes"])
    assert {"PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtWebEngineCore", "tkinter", "pytest"} <= excluded
    assert not excluded & {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "cryptography", "numpy"}


def test_spec_on_windows_has_icon_and_version_resource(monkeypatch, tmp_path):
    calls = _run_spec(monkeypatch, tmp_path, "win32")
    for _, kw in calls["EXE"]:
        assert Path(kw["icon"]) == ROOT / "resources" / "icons" / "imrdesk.ico"
        version_text = Path(kw["version"]).read_text(encoding="utf-8")
        ast.parse(version_text)  # PyInstaller evaluates this text
        assert f"StringStruct('ProductVersion', '{imrdesk.__version__}')" in version_text
        major, minor, patch = (int(n) for n in imrdesk.__version__.split(".")[:3])
        assert f"filevers=({major}, {minor}, {patch}, 0)" in version_text


def _ico_sizes(data: bytes) -> list[int]:
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1), "not an .ico file"
    return sorted((data[6 + 16 * i] or 256) for i in range(count))


def test_app_icons_exist():
    icons = ROOT / "resources" / "icons"
    png = (icons / "imrdesk.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (256, 256)
    assert {16, 32, 48, 256} <= set(_ico_sizes((icons / "imrdesk.ico").read_bytes()))


def test_build_scripts_are_valid_bash_and_reference_real_files():
    for name in ("build_linux.sh", "build_windows.sh"):
        script = ROOT / "scripts" / name
        assert os.access(script, os.X_OK), f"{name} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)
        text = script.read_text(encoding="utf-8")
        assert "pyinstaller.spec" in text and "/work/" not in text
    windows = (ROOT / "scripts" / "build_windows.sh").read_text(encoding="utf-8")
    for shim in re.findall(r"scripts/winshims/\S+\.c", windows):
        assert (ROOT / shim).is_file(), shim
    workflow = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    assert "windows-latest" in workflow and "pyinstaller.spec" in workflow


def test_build_output_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "build/" in ignored and "dist/" in ignored


def test_version_agrees_with_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M)[1] == imrdesk.__version__


def _main(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def test_version_flag_from_source():
    proc = _main("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"imrdesk {imrdesk.__version__}"


def test_smoke_gui_is_hidden_from_help():
    proc = _main("--help")
    assert proc.returncode == 0 and "--version" in proc.stdout
    assert "smoke" not in proc.stdout


def test_smoke_gui_from_source(tmp_path):
    proc = _main("--db", str(tmp_path / "smoke.db"), "--smoke-gui", "200")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("smoke-gui: shown ") for line in lines), proc.stdout
    assert any(line.startswith("smoke-gui: ok ") and "icon=ok" in line for line in lines), proc.stdout
    if (ROOT / "imrdesk" / "ui" / "main_window.py").is_file():
        assert any("window=MainWindow" in line for line in lines), proc.stdout
