"""``python main.py --db X`` opens the real window on a real X server (Xvfb) and stays up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def xvfb_display():
    binary = shutil.which("Xvfb")
    if binary is None:
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = b""
        deadline = time.monotonic() + 20
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read_fd, 16)
            if not chunk:
                break
            number += chunk
        if not number.strip():
            pytest.fail("Xvfb did not report a display number")
        yield f":{number.decode().strip()}"
    finally:
        os.close(read_fd)
        server.terminate()
        server.wait(10)


def test_main_py_opens_the_window_and_stays_up(xvfb_display, tmp_path):
    db = tmp_path / "letters.db"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(
        DISPLAY=xvfb_display,
        QT_QPA_PLATFORM="xcb",
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # the window's settings go here, not to the user's
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    (tmp_path / "runtime").mkdir(mode=0o700)
    app = subprocess.Popen(
        [sys.executable, "main.py", "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    titles = ""
    try:
        time.sleep(5)
        alive = app.poll() is None
        xwininfo = shutil.which("xwininfo")
        if alive and xwininfo:  # when the X utilities are there, also see the window on the screen
            titles = subprocess.run(
                [xwininfo, "-root", "-tree"], env=env, capture_output=True, text=True, timeout=10
            ).stdout
    finally:
        app.terminate()
        try:
            out, err = app.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()
            out, err = app.communicate()
    assert alive, f"the window exited with {app.returncode}:\n{out}\n{err}"
    assert "Traceback" not in err, err
    assert "platform plugin" not in err, err
    assert db.is_file()  # the window opened its database
    if titles:
        assert '"imrdesk"' in titles or 'imrdesk"' in titles, titles
