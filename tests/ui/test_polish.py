"""Issue 14, point 6: keys for the main actions listed under Help, tooltips on icons, a dark palette
that reads well, fonts that follow the system."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFont, QFontDatabase, QKeySequence, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QTabBar, QWidget

from repowiki_gui.ui.main_window import MainWindow
from repowiki_gui.ui.shortcuts import plain_text, shortcut_rows

MAIN_ACTIONS = ("Open ZIP", "Ask a question", "Generate wiki", "Settings", "Quit", "Chat tab", "Wiki tab",
                "Next tab", "Previous tab", "Keyboard shortcuts")


@pytest.fixture
def window(qtbot, fake_bridge, qsettings):
    w = MainWindow(fake_bridge, qsettings)   # the real chat panel, wiki view, tasks panel
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def keys_of(window) -> dict[str, str]:
    return {plain_text(a.text()): a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}


# --- shortcuts ------------------------------------------------------------------------------

def test_every_main_action_has_a_key_and_help_lists_every_key_of_the_window(qtbot, window):
    keys = keys_of(window)
    for name in MAIN_ACTIONS:
        assert keys.get(name), f"{name} has no shortcut"
    window.shortcuts_action.trigger()
    dialog = window.shortcuts_dialog
    qtbot.waitExposed(dialog)
    listed = dict(dialog.listed())
    for action in window.findChildren(QAction):
        if action.shortcuts():
            assert plain_text(action.text()) in listed, action.text()
            shown = listed[plain_text(action.text())]
            for key in action.shortcuts():
                assert key.toString(QKeySequence.SequenceFormat.NativeText) in shown
    assert "Esc" in listed.get("Stop", "")   # a button's key, which works in the chat only
    dialog.reject()
    qtbot.waitUntil(lambda: window.shortcuts_dialog is None)


def test_the_list_cannot_drift_an_action_added_later_is_listed_the_next_time(qtbot, window):
    extra = QAction("&Frobnicate", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+F"))
    window.addAction(extra)
    dialog = window.show_shortcuts()
    assert ("Frobnicate", QKeySequence("Ctrl+Alt+F").toString(QKeySequence.SequenceFormat.NativeText)) \
        in dialog.listed()
    dialog.reject()


def test_no_key_of_the_whole_window_is_taken_twice(window):
    rows = shortcut_rows(window)
    owners: dict[str, list[str]] = {}
    for row in rows:
        for key in row.keys:
            owners.setdefault(key.toString(), []).append(f"{row.what} ({row.where or 'window'})")
    wide = {k.toString() for row in rows if row.window_wide for k in row.keys}
    clashes = {key: who for key, who in owners.items() if key in wide and len(who) > 1}
    assert clashes == {}   # Qt fires neither of two shortcuts on one key: both would be dead


def test_the_keys_do_what_they_say(qtbot, window, fake_bridge):
    fake_bridge.reposChanged.emit([{"name": "shop", "files": 2, "chunks": 4}])   # the question box opens
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.wiki
    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == (window.tabs.indexOf(window.wiki) + 1) % window.tabs.count()
    window.tabs.setCurrentWidget(window.wiki)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.chat
    qtbot.waitUntil(lambda: window.chat.question.hasFocus())
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.shortcuts_dialog is not None and window.shortcuts_dialog.isVisible())
    window.shortcuts_dialog.reject()


def test_about_says_what_the_app_is(qtbot, window):
    box = window.show_about()
    assert box.text().startswith("RepoWiki ") and "offline" in box.text()
    box.close()


# --- tooltips --------------------------------------------------------------------------------

def qt_own(thing) -> bool:
    """Qt's own helpers (a toolbar's overflow arrow, a line edit's clear button): Qt names them, not us."""
    names = [thing.objectName()]
    if isinstance(thing, QAbstractButton) and isinstance(thing.parent(), QLineEdit):
        names += [a.objectName() for a in thing.actions()] + [a.objectName() for a in thing.parent().actions()]
    return any(n.startswith(("qt_", "_q_")) for n in names)


def test_every_icon_has_a_tooltip_and_toolbar_tooltips_name_their_keys(window):
    bare = [a.text() for a in window.findChildren(QAction)
            if not a.icon().isNull() and not a.toolTip().strip() and not qt_own(a)]
    bare += [b.objectName() or b.text() or type(b).__name__ for b in window.findChildren(QAbstractButton)
             if not b.icon().isNull() and not b.toolTip().strip() and not qt_own(b)]
    assert bare == []
    for toolbar_action in window.findChild(QWidget, "main_toolbar").actions():
        keys = toolbar_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert toolbar_action.toolTip() != plain_text(toolbar_action.text())   # a sentence, not the label
        if keys:
            assert toolbar_action.toolTip().endswith(f"({keys})")


# --- a dark palette ----------------------------------------------------------------------------

DARK = {"Window": "#2a2e32", "WindowText": "#e3e5e7", "Base": "#1b1e20", "AlternateBase": "#232629",
        "Text": "#e3e5e7", "Button": "#31363b", "ButtonText": "#e3e5e7", "Highlight": "#3d6fa8",
        "HighlightedText": "#ffffff", "Link": "#6fb1ff", "LinkVisited": "#b28cff", "PlaceholderText": "#8b9096",
        "ToolTipBase": "#31363b", "ToolTipText": "#e3e5e7", "BrightText": "#ff6b6b", "Light": "#454c53",
        "Midlight": "#3a4045", "Mid": "#2b3034", "Dark": "#151719", "Shadow": "#0a0b0c"}


def luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def pixels(widget: QWidget) -> Counter:
    image = widget.grab().toImage()
    step = max(1, image.width() * image.height() // 40_000)   # a sample is plenty
    counts: Counter = Counter()
    for i in range(0, image.width() * image.height(), step):
        counts[image.pixel(i % image.width(), i // image.width())] += 1
    return counts


def text_contrast(widget: QWidget) -> float:
    """The contrast between a widget's commonest colour (its background) and its farthest one (its text)."""
    counts = pixels(widget)
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    return max(contrast(background, QColor.fromRgb(p)) for p in counts)


def dark_palette() -> QPalette:
    palette = QPalette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for role, colour in DARK.items():
            palette.setColor(group, getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("WindowText", "Text", "ButtonText"):
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor("#7c8287"))
    return palette


@pytest.fixture
def dark_app():
    """The system turns dark: the application's palette changes (Qt does that when the desktop's does)."""
    app = QApplication.instance()
    light = app.palette()
    yield lambda: app.setPalette(dark_palette())
    app.setPalette(light)


@pytest.mark.parametrize("repos", [[], [{"name": "shop", "files": 2, "chunks": 4}]], ids=["empty", "a-repository"])
def test_with_a_dark_palette_no_panel_paints_a_light_area_and_text_reads(qtbot, dark_app, fake_bridge, qsettings,
                                                                         repos):
    dark_app()
    window = MainWindow(fake_bridge, qsettings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    fake_bridge.reposChanged.emit(repos)
    counts = pixels(window)
    light = sum(n for p, n in counts.items() if luminance(QColor.fromRgb(p)) > 0.6)
    assert light / sum(counts.values()) < 0.05   # text and icons only, never a light box
    texts = [w for w in window.findChildren(QWidget) if w.isVisible() and w.isEnabled() and w.width() > 8
             and w.height() > 8 and isinstance(w, (QLabel, QAbstractButton, QTabBar))
             and (not hasattr(w, "text") or w.text())]
    assert texts
    for w in texts:   # a disabled control may be dim: WCAG asks nothing of it
        # WCAG AA: 4.5 for text; a hint in the palette's placeholder colour is secondary, held to 3
        wanted = 3.0 if w.foregroundRole() == QPalette.ColorRole.PlaceholderText else 4.5
        assert text_contrast(w) >= wanted, (type(w).__name__, w.objectName(), getattr(w, "text", lambda: "")())


def test_the_settings_error_reads_on_a_light_palette_and_after_it_turns_dark(qtbot, dark_app, home, fake_bridge,
                                                                           qsettings):
    window = MainWindow(fake_bridge, qsettings, home=home)
    qtbot.addWidget(window)
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitExposed(dialog)
    label = dialog.error_label
    label.setText("The number of threads must be between 1 and 64.")
    label.show()
    for turn in ("light", "dark"):
        if turn == "dark":
            dark_app()
            qtbot.waitUntil(lambda: luminance(dialog.palette().color(QPalette.ColorRole.Window)) < 0.1)
        text = label.palette().color(label.foregroundRole())
        background = dialog.palette().color(QPalette.ColorRole.Window)
        assert contrast(text, background) >= 4.5, turn
        assert text.red() > 1.5 * text.green() and text.red() > 1.5 * text.blue(), turn   # still an error's red
    dialog.reject()


_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|\b(?:white|black|gray|grey|red)\b")


def test_no_stylesheet_hard_codes_a_colour_or_a_font(qtbot, window, home):
    window.open_settings()
    widgets = window.findChildren(QWidget) + [window]
    styled = {type(w).__name__ + ":" + w.objectName(): w.styleSheet() for w in widgets
              if _COLOUR.search(w.styleSheet()) or re.search(r"font", w.styleSheet())}
    assert styled == {}
    window.settings_dialog.reject()


# --- fonts ---------------------------------------------------------------------------------------

def _fonts(qtbot, fake_bridge, qsettings, home) -> dict[str, QFont]:
    window = MainWindow(fake_bridge, qsettings, home=home)
    qtbot.addWidget(window)
    window.show()
    window.open_settings()     # the dialogs too
    window.show_shortcuts()
    found = {}
    for n, w in enumerate(window.findChildren(QWidget)):
        found[f"{n}:{type(w).__name__}:{w.objectName()}"] = QFont(w.font())
    window.close()
    return found


def test_fonts_follow_the_system_font_and_code_uses_the_system_fixed_font(qtbot, fake_bridge, qsettings, home):
    app = QApplication.instance()
    system = app.font()
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    other = next((f for f in QFontDatabase.families() if f not in (system.family(), fixed)
                  and not QFontDatabase.isFixedPitch(f)), None)
    if other is None:
        pytest.skip("this machine has one proportional font only")
    sizes = {}
    try:
        for size in (9.0, 15.0):
            chosen = QFont(other)
            chosen.setPointSizeF(size)
            app.setFont(chosen)
            fonts = _fonts(qtbot, fake_bridge, qsettings, home)
            for name, font in fonts.items():
                assert font.family() in (other, fixed), (name, font.family())
            sizes[size] = fonts
    finally:
        app.setFont(system)
    for name, font in sizes[9.0].items():
        if font.family() == other:   # a size relative to the system's is fine, a fixed size is not
            assert sizes[15.0][name].pointSizeF() == pytest.approx(font.pointSizeF() * 15 / 9, rel=0.05), name


@pytest.mark.parametrize("name", ["cancel", "open", "reindex", "remove", "repowiki", "retry"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_icon_stands_out_on_a_light_and_a_dark_window(qtbot, name, scheme):
    from PySide6.QtGui import QPainter, QPixmap

    from repowiki_gui.ui.widgets import icon

    background = (dark_palette() if scheme == "dark" else QPalette(QColor("#efefef"))).color(QPalette.ColorRole.Window)
    pixmap = QPixmap(24, 24)
    pixmap.fill(background)
    painter = QPainter(pixmap)
    icon(name).paint(painter, 0, 0, 24, 24)
    painter.end()
    image = pixmap.toImage()
    best = max(contrast(background, image.pixelColor(x, y)) for x in range(24) for y in range(24))
    assert best >= 3.0   # WCAG's contrast for the parts of a graphic that say what it is
