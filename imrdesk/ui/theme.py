"""Light and dark: the window follows the system's colour scheme (View › Theme overrides it).

There is one set of colours, the light one (``resources/style.qss``, :func:`light_palette`, the few colours
drawn in code). The dark theme is derived from it by turning each colour's lightness round while keeping its
hue and saturation (:func:`tone`): paper white becomes a deep grey, ink becomes a light grey, and an accent
keeps its meaning (green reviewed, red flagged, amber to check) at a lightness readable on the dark ground. So a
colour added to the stylesheet is right in both themes without a second stylesheet to keep in step. The letter's
pages stay white paper in both: they are the document as printed.
"""

from __future__ import annotations

import colorsys
import re

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .resources import resource_path, resource_root

THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
SETTING = "view/theme"

_dark = False  # the theme in force (module state: colours drawn in code ask for it)


def is_dark() -> bool:
    return _dark


def system_is_dark() -> bool:
    """Whether the desktop asks for dark colours (Windows, macOS and the Linux desktops Qt can ask)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def wanted_dark(choice: str | None) -> bool:
    """``choice`` is a key of :data:`THEMES`; anything else means "system"."""
    if choice == "dark":
        return True
    if choice == "light":
        return False
    return system_is_dark()


def saved_choice(settings: QSettings | None = None) -> str:
    value = str((settings or QSettings()).value(SETTING, "system") or "system")
    return value if value in dict(THEMES) else "system"


TEXT_LIGHTNESS = 0.7  # text drawn on the dark ground is at least this light (an accent keeps its hue)


def _dark_rgb(r: int, g: int, b: int, *, text: bool = False) -> tuple[int, int, int]:
    h, light, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    # lightness turned round into 0.11 (paper) .. 0.91 (ink): never pure black or white, which glare
    light = 0.11 + (1.0 - light) * 0.80
    if text:  # a mid-tone accent (link blue, warning red) would sit too close to the dark ground
        light = max(light, TEXT_LIGHTNESS)
    s = s * 0.85 if light < 0.3 else s  # deep, saturated backgrounds look garish: calm them a little
    return tuple(round(v * 255) for v in colorsys.hls_to_rgb(h, light, s))  # type: ignore[return-value]


def tone(color: str, dark: bool | None = None, *, text: bool = False) -> str:
    """A ``#rrggbb`` colour of the light theme as the theme in force (or ``dark``) shows it; ``text``: a
    colour text is drawn in (kept light enough to read on the dark ground)."""
    if not (_dark if dark is None else dark):
        return color
    c = QColor(color)
    if not c.isValid():
        return color
    return "#{:02x}{:02x}{:02x}".format(*_dark_rgb(c.red(), c.green(), c.blue(), text=text))


def qcolor(color: str, alpha: int = 255, *, text: bool = True) -> QColor:
    """A light-theme colour as the theme in force draws it; most colours in code are text (``text=False``
    for a background)."""
    c = QColor(tone(color, text=text))
    c.setAlpha(alpha)
    return c


_RGBA = re.compile(r"rgba\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,")


# one pass over every hex colour, knowing whether it is a text colour (``color:``, not ``background-color:``)
_ANY_HEX = re.compile(r"((?<![-\w])color\s*:\s*)?(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)")


def dark_stylesheet(text: str) -> str:
    """The stylesheet with every colour toned dark (hex and the rgb part of rgba); a text colour
    (``color:``) kept light enough to read."""
    text = _ANY_HEX.sub(
        lambda m: (m.group(1) or "") + tone(QColor(m.group(2)).name(), dark=True, text=bool(m.group(1))), text
    )
    return _RGBA.sub(lambda m: "rgba({}, {}, {},".format(*_dark_rgb(*(int(v) for v in m.groups()))), text)


def dark_palette(light: QPalette) -> QPalette:
    p = QPalette(light)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
        for role in QPalette.ColorRole:
            if role == QPalette.ColorRole.NColorRoles:
                continue
            c = light.color(group, role)
            r, g, b = _dark_rgb(c.red(), c.green(), c.blue())
            p.setColor(group, role, QColor(r, g, b, c.alpha()))
    # text on the highlight stays white: the accent keeps its light-theme depth under it
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Highlight, light.color(group, QPalette.ColorRole.Highlight))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    return p


def set_dark(dark: bool) -> None:
    global _dark
    _dark = dark


def light_palette() -> QPalette:
    """A calm light palette (the letters are white paper; a dark frame around them tires the eye less
    than a dark theme with white pages in the middle)."""
    p = QPalette()
    roles = QPalette.ColorRole
    colors = {
        roles.Window: "#f4f6f8",
        roles.WindowText: "#1f2937",
        roles.Base: "#ffffff",
        roles.AlternateBase: "#f7f9fb",
        roles.ToolTipBase: "#fffef5",
        roles.ToolTipText: "#1f2937",
        roles.PlaceholderText: "#9aa3af",
        roles.Text: "#1f2937",
        roles.Button: "#f7f8fa",
        roles.ButtonText: "#1f2937",
        roles.BrightText: "#ffffff",
        roles.Highlight: "#2563eb",
        roles.HighlightedText: "#ffffff",
        roles.Link: "#1d4ed8",
        roles.Mid: "#cfd5dd",
        roles.Midlight: "#e5e9ee",
        roles.Dark: "#9aa3af",
        roles.Light: "#ffffff",
        roles.Shadow: "#6b7280",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        p.setColor(disabled, role, QColor("#9aa3af"))
    return p


def stylesheet() -> str:
    """resources/style.qss, with ``@resources`` standing for the resources folder (for images)."""
    try:
        text = resource_path("style.qss").read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.replace("@resources", resource_root().as_posix())


def apply_theme(app: QApplication, dark: bool) -> None:
    """The light theme, or the dark one derived from it (see :mod:`imrdesk.ui.theme`)."""
    set_dark(dark)
    sheet = stylesheet()
    app.setPalette(dark_palette(light_palette()) if dark else light_palette())
    app.setStyleSheet(dark_stylesheet(sheet) if dark else sheet)


def apply_choice(choice: str) -> None:
    """Put the theme a choice of :data:`THEMES` asks for in force, if it is not already."""
    app = QApplication.instance()
    dark = wanted_dark(choice)
    if app is not None and dark != is_dark():
        apply_theme(app, dark)
