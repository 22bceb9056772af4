"""The Windows installer's sources and what the spec leaves out, checked without Wine or Windows:

- installer/filelist.py lists exactly the app folder's files and folders for the uninstaller;
- makensis compiles installer/imrdesk.nsi (against a small stand-in folder, so it takes a second) into a
  setup program carrying its version, per-user and with a keep-the-database uninstaller;
- pyinstaller.spec's filter leaves out software OpenGL, Qt's translations and unused plugins, and keeps
  what the window needs.

The real installer is built and tested under Wine by scripts/build_windows.sh.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import imrdesk

ROOT = Path(__file__).resolve().parents[1]
NSI = ROOT / "installer" / "imrdesk.nsi"
sys.path.insert(0, str(ROOT / "installer"))
import filelist  # noqa: E402


def _app_folder(tmp_path: Path) -> Path:
    app = tmp_path / "imrdesk"
    icons = app / "_internal" / "resources" / "icons"
    icons.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "icons" / "imrdesk.ico", icons / "imrdesk.ico")
    (app / "imrdesk.exe").write_bytes(b"MZ stand-in")
    (app / "imrdesk-cli.exe").write_bytes(b"MZ stand-in")
    (app / "_internal" / "PySide6" / "plugins" / "platforms").mkdir(parents=True)
    (app / "_internal" / "PySide6" / "plugins" / "platforms" / "qwindows.dll").write_bytes(b"x")
    (app / "_internal" / "odd $name.txt").write_text("x")
    return app


def test_filelist_names_every_file_and_folder_deepest_first(tmp_path):
    app = _app_folder(tmp_path)
    lines = filelist.file_list(app)
    deletes = [line for line in lines if line.startswith("Delete ")]
    rmdirs = [line for line in lines if line.startswith("RMDir ")]
    assert len(deletes) == sum(1 for p in app.rglob("*") if p.is_file()) == 5
    assert 'Delete "$INSTDIR\\imrdesk.exe"' in deletes
    assert 'Delete "$INSTDIR\\_internal\\odd $$name.txt"' in deletes  # NSIS's $ escaped
    assert rmdirs[0] == 'RMDir "$INSTDIR\\_internal\\PySide6\\plugins\\platforms"'
    assert rmdirs[-1] == 'RMDir "$INSTDIR\\_internal"'
    assert lines.index(rmdirs[0]) > lines.index(deletes[-1])  # files first, then their folders
    assert not any("/r " in line for line in lines)  # never a recursive delete
    with pytest.raises(ValueError):
        filelist.file_list(app / "_internal")  # not an app folder: refused


def test_installer_script_is_per_user_and_keeps_the_database():
    text = NSI.read_text(encoding="utf-8")
    assert "RequestExecutionLevel user" in text
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP}"' in text
    assert "HKLM" not in text and "HKCR" not in text  # nothing machine-wide
    assert 'Section /o "un.Also delete my letters database' in text  # off unless ticked (and when silent)
    assert "/REMOVEDATA" in text
    assert 'WriteRegStr HKCU "${CLASSES}\\.pdf\\OpenWithProgids" "${PROGID}" ""' in text
    assert 'WriteRegStr HKCU "${CLASSES}\\.pdf" ""' not in text  # never the default PDF program


@pytest.mark.skipif(
    shutil.which("makensis") is None, reason="makensis (Debian package nsis) is not installed"
)
def test_makensis_compiles_the_installer(tmp_path):
    app = _app_folder(tmp_path)
    files = tmp_path / "files.nsh"
    files.write_text("\n".join(filelist.file_list(app)) + "\n", encoding="utf-8")
    setup = tmp_path / "setup.exe"
    version = imrdesk.__version__
    proc = subprocess.run(
        [
            "makensis",
            "-V2",
            f"-DVERSION={version}",
            f"-DSRCDIR={app}",
            f"-DFILELIST={files}",
            f"-DOUTFILE={setup}",
            str(NSI),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = setup.read_bytes()
    assert data[:2] == b"MZ"
    # the version resource (UTF-16 strings of VS_VERSIONINFO)
    for text in ("ProductVersion", version, "imrdesk contributors"):
        assert text.encode("utf-16-le") in data, text
    # the manifest asks for no elevation
    assert b'level="asInvoker"' in data


def _spec_namespace(monkeypatch, tmp_path, platform: str) -> dict:
    """Run pyinstaller.spec with PyInstaller's build classes stood in for (nothing is built)."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda pkg, **options: [pkg]
    hooks.collect_data_files = lambda pkg, **options: []
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)

    def build(*args, **kwargs):
        return types.SimpleNamespace(**{"scripts": [], "pure": [], "binaries": [], "datas": [], **kwargs})

    namespace = {"__name__": "__main__", "SPECPATH": str(ROOT), "workpath": str(tmp_path)}
    namespace.update(Analysis=build, PYZ=build, EXE=build, COLLECT=build)
    spec = ROOT / "pyinstaller.spec"
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), namespace)
    return namespace


def test_spec_leaves_out_what_the_app_does_not_use(monkeypatch, tmp_path):
    ns = _spec_namespace(monkeypatch, tmp_path, "win32")
    left_out = ns["_left_out"]
    for dest in (
        "PySide6\\opengl32sw.dll",
        "PySide6\\translations\\qtbase_de.qm",
        "PySide6/Qt/translations/qt_fr.qm",
        "PySide6\\plugins\\platforms\\qdirect2d.dll",
        "PySide6\\plugins\\platforms\\qminimal.dll",
        "PySide6\\plugins\\imageformats\\qjpeg.dll",
        "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
        "PySide6\\plugins\\generic\\qtuiotouchplugin.dll",
        "PySide6\\plugins\\tls\\qopensslbackend.dll",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        "matplotlib\\mpl-data\\sample_data\\goog.npz",
        "cv2\\opencv_videoio_ffmpeg4110_64.dll",
        "cv2\\cv2.pyd",  # OpenCV: imrdesk.extract.cv2_lite stands in for it
        "cv2/cv2.abi3.so",
        "opencv_python_headless.libs/libavcodec-c4204469.so.62.28.101",
        "rapidocr/models/ch_ppocr_mobile_v2.0_cls_mobile.onnx",  # the line classifier, never run
        # the wheel's float models: the app loads the smaller copies in resources/ocr
        "rapidocr/models/PP-OCRv6_det_small.onnx",
        "rapidocr\\models\\PP-OCRv6_rec_small.onnx",
        "onnxruntime\\capi\\onnxruntime.dll",  # the C API; the Python module has the runtime linked in
        "matplotlib/mpl-data/fonts/ttf/DejaVuSerif-Bold.ttf",
    ):
        assert left_out(dest), dest
    for dest in (
        "PySide6\\Qt6Core.dll",
        "PySide6\\Qt6Network.dll",  # the single-instance local socket
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6\\plugins\\platforms\\qoffscreen.dll",
        "PySide6\\plugins\\imageformats\\qsvg.dll",  # the stylesheet's SVG images
        "PySide6\\plugins\\imageformats\\qico.dll",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf",  # the charts' font
        "matplotlib/mpl-data/matplotlibrc",
        "pdfminer/cmap/UniJIS-UCS2-H.pickle.gz",
        "resources/ocr/PP-OCRv6_det_small.onnx",
        "resources\\ocr\\PP-OCRv6_rec_small.onnx",
        "rapidocr/config.yaml",
        "onnxruntime\\capi\\onnxruntime_pybind11_state.pyd",
        "onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so",
    ):
        assert not left_out(dest), dest
    excluded = set(ns["excludes"])
    assert "PySide6.QtNetwork" not in excluded and "PIL._avif" in excluded and "cv2" in excluded
    assert {"setuptools", "distutils"} <= excluded
    assert "cv2" not in ns["hiddenimports"]
