// Diff-II Studio: the desktop application.
#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

#include "ui/main_window.h"
#include "ui/studio_controller.h"

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Diff-II Studio"));
    QApplication::setApplicationName(QStringLiteral("diffii-studio"));
    QApplication::setApplicationVersion(QStringLiteral(PROJECT_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Diff-II Studio: diffusion-based data augmentation"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("Project folder to open"));
    QCommandLineOption language(QStringLiteral("language"), QStringLiteral("UI language (en, zh_CN)"), QStringLiteral("LANG"));
    parser.addOption(language);
    parser.process(app);

    // Language: command line, then preferences, then the system locale.
    QString lang = parser.value(language);
    if (lang.isEmpty()) lang = QSettings().value(QStringLiteral("ui/language")).toString();
    const QLocale locale = lang.isEmpty() ? QLocale::system() : QLocale(lang);
    QTranslator appTranslator, qtTranslator;
    if (appTranslator.load(locale, QStringLiteral("diffii_studio"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QApplication::installTranslator(&appTranslator);
    if (qtTranslator.load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(&qtTranslator);

    diffii::ui::StudioController controller;
    diffii::ui::MainWindow window(&controller);
    window.show();
    if (!parser.positionalArguments().isEmpty()) window.openProjectDir(parser.positionalArguments().first());
    return app.exec();
}
