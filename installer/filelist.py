"""Write the uninstaller's list for installer/imrdesk.nsi: one NSIS ``Delete`` line per file of the app folder
and one ``RMDir`` line per folder, deepest first, so that uninstalling removes exactly what was installed
(and a folder only when it is empty).

    python installer/filelist.py dist/windows/imrdesk build/installer/files.nsh
"""

from __future__ import annotations

import sys
from pathlib import Path


def nsis_path(relative: Path) -> str:
    text = "\\".join(relative.parts).replace("$", "$$")
    if '"' in text:
        raise ValueError(f"a file name with a double quote cannot be listed: {relative}")
    return f'"$INSTDIR\\{text}"'


def file_list(app: Path) -> list[str]:
    files = sorted(p.relative_to(app) for p in app.rglob("*") if p.is_file())
    folders = sorted(
        (p.relative_to(app) for p in app.rglob("*") if p.is_dir()), key=lambda p: (-len(p.parts), p)
    )
    if not any(f.name.lower() == "imrdesk.exe" for f in files):
        raise ValueError(f"{app} holds no imrdesk.exe: not the app folder")
    return [f"Delete {nsis_path(f)}" for f in files] + [f"RMDir {nsis_path(d)}" for d in folders]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    app, out = Path(argv[0]), Path(argv[1])
    lines = file_list(app)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"filelist: {out} ({len(lines)} entries)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
