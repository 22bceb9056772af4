"""View › Theme: follow the system, or light, or dark — kept in the window's settings, applied at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup

from .theme import SETTING, THEMES, apply_choice, saved_choice

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow


def theme_actions(window: MainWindow) -> list[QAction]:
    """The three choices as one exclusive group; the saved one is checked and in force."""
    group = QActionGroup(window)
    group.setExclusive(True)
    chosen = saved_choice(window.settings)
    actions = []
    for key, label in THEMES:
        action = QAction(label, window)
        action.setCheckable(True)
        action.setChecked(key == chosen)
        action.setData(key)
        action.triggered.connect(lambda _on=False, k=key: choose_theme(window, k))
        group.addAction(action)
        actions.append(action)
    window.theme_group = group
    apply_choice(chosen)
    return actions


def choose_theme(window: MainWindow, key: str) -> None:
    window.settings.setValue(SETTING, key)
    for action in window.theme_group.actions():
        action.setChecked(action.data() == key)
    apply_choice(key)
