// The main window as the GUI tests drive it: errors kept for lastError() instead of shown in a box, a given size,
// shown and exposed. Header-only, for the test_ui_* files and test_translations.
#pragma once

#include <QSize>
#include <QtTest>

#include "ui/main_window.h"

namespace diffii::test {

// True when the window is on screen and active (QVERIFY it).
inline bool showForTest(diffii::ui::MainWindow& window, QSize size = QSize(1280, 800)) {
    window.setQuietErrors(true);
    window.resize(size);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) return false;
    // Shortcuts reach only the active window; offscreen every window is, under a bare X server (no window
    // manager) only the one given the focus.
    window.activateWindow();
    return QTest::qWaitForWindowActive(&window);
}

}  // namespace diffii::test
