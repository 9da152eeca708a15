// The main window as the GUI tests drive it: errors kept for lastError() instead of shown in a box, a given size,
// shown and exposed. Header-only, for the test_ui_* files and test_translations.
#pragma once

#include <QObject>
#include <QSize>
#include <QString>
#include <QtTest>

#include "ui/main_window.h"

namespace diffii::test {

// "diffii::ui::CuratePage" -> "curate_page": a page's name in screenshot files and messages.
inline QString pageSlug(const QObject* page) {
    QString name = QString::fromLatin1(page->metaObject()->className()).section(QStringLiteral("::"), -1);
    QString out;
    for (int i = 0; i < name.size(); ++i) {
        if (name[i].isUpper() && i > 0) out += QLatin1Char('_');
        out += name[i].toLower();
    }
    return out;
}

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
