// Diff-II Studio: the desktop application.
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

#include "core/jobs/threads.h"
#include "ui/main_window.h"
#include "ui/preferences_dialog.h"
#include "ui/studio_controller.h"

int main(int argc, char* argv[]) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Diff-II Studio"));
    QApplication::setApplicationName(QStringLiteral("diffii-studio"));
    QApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Diff-II Studio: diffusion-based data augmentation"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("Project folder to open"));
    QCommandLineOption language(QStringLiteral("language"), QStringLiteral("UI language (en, zh_CN)"),
                                QStringLiteral("LANG"));
    parser.addOption(language);
    QCommandLineOption demo(QStringLiteral("demo"),
                            QStringLiteral("Open the embedded emoji-birds demo project (created and its inversion pool "
                                           "built on first use)"));
    parser.addOption(demo);
    QCommandLineOption demoDir(QStringLiteral("demo-dir"), QStringLiteral("Folder of the demo project"),
                               QStringLiteral("DIR"));
    parser.addOption(demoDir);
    parser.process(app);

    // Language: command line, then preferences, then the system locale (Preferences switches it at run time).
    QString lang = parser.value(language);
    if (lang.isEmpty()) lang = QSettings().value(diffii::ui::PreferencesDialog::settingsKey()).toString();
    diffii::ui::PreferencesDialog::applyLanguage(lang);

    try {
        diffii::configureComputeThreads();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "diffii-studio: %s\n", e.what());
        return 2;
    }
    diffii::ui::StudioController controller;
    diffii::ui::MainWindow window(&controller);
    window.show();
    if (!parser.positionalArguments().isEmpty())
        window.openProjectDir(parser.positionalArguments().first());
    else if (parser.isSet(demo) || parser.isSet(demoDir))
        window.openDemo(parser.value(demoDir));
    else
        window.reopenLastProject();  // unless Preferences turned it off; a folder that is gone is skipped
    return app.exec();
}
