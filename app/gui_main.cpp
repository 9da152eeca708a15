// Diff-II Studio: the desktop application.
#include <QApplication>

#include "ui/main_window.h"

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Diff-II Studio"));
    QApplication::setApplicationName(QStringLiteral("diffii-studio"));
    QApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));
    diffii::ui::MainWindow window;
    window.show();
    return app.exec();
}
