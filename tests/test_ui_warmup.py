"""The charts' modules are imported off the GUI thread before Insights is opened (a fresh interpreter, since
this one may have imported them already)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from imrdesk.ui.warmup import LATER, warm_up
assert not any(m in sys.modules for m in (*LATER, "matplotlib")), "imported too early"
warm_up().join(120)
assert all(m in sys.modules for m in (*LATER, "matplotlib"))
warm_up(("imrdesk.no_such_module",)).join(10)  # an error is left for the import where it is used
print("ok")
"""


def test_the_charts_are_imported_on_a_background_thread():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


FREEZE = """
import gc
from imrdesk.ui.warmup import freeze_start_up, warm_up
warm_up(("json",)).join(60)
assert gc.get_freeze_count() == 0, "frozen though the program did not freeze its start-up"
live = type("Window", (), {})()  # stands for the window and its objects
assert any(o is live for o in gc.get_objects())  # a full pass would walk it
freeze_start_up()
frozen = gc.get_freeze_count()
assert frozen > 0 and not any(o is live for o in gc.get_objects())  # now no pass does
warm_up(("csv",)).join(60)  # the warm-up's modules are kept out of full passes too
assert gc.get_freeze_count() > frozen
print("ok")
"""


def test_start_up_is_kept_out_of_full_collections_once_the_window_shows():
    """A full pass of the collector walks every tracked object on whichever thread allocates (an import
    storing letters stopped the window for a tenth of a second with one): the program freezes what start-up
    made once its window is shown, and the warm-up freezes its modules then too, never otherwise."""
    out = subprocess.run([sys.executable, "-c", FREEZE], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
