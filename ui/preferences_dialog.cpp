#include "ui/preferences_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLibraryInfo>
#include <QLocale>
#include <QPointer>
#include <QSettings>
#include <QTranslator>
#include <QVBoxLayout>

#include "core/jobs/device.h"
#include "ui/retranslate.h"

namespace diffii::ui {

QString PreferencesDialog::settingsKey() { return QStringLiteral("ui/language"); }
QString PreferencesDialog::reopenLastKey() { return QStringLiteral("project/reopenLast"); }
QString PreferencesDialog::deviceKey() { return QStringLiteral("engine/device"); }

QString PreferencesDialog::device() {
    try {
        return QString::fromStdString(
            diffii::parseDevice(QSettings().value(deviceKey(), QStringLiteral("cpu")).toString().toStdString(), ""));
    } catch (const std::exception&) {
        return QStringLiteral("cpu");
    }
}

bool PreferencesDialog::applyLanguage(const QString& lang) {
    static QPointer<QTranslator> qtTranslator;
    if (qtTranslator) {
        QCoreApplication::removeTranslator(qtTranslator);
        delete qtTranslator.data();
    }
    const QLocale locale = lang.isEmpty() ? QLocale::system() : QLocale(lang);
    // Diff-II Studio's catalogue is asked through the recording translator, so that pages can be retranslated.
    auto* app = new QTranslator();
    const bool found =
        app->load(locale, QStringLiteral("diffii_studio"), QStringLiteral("_"), QStringLiteral(":/i18n"));
    if (!found) {
        delete app;
        app = nullptr;
    }
    setRecordingCatalogue(app);
    auto* qt = new QTranslator(QCoreApplication::instance());
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QCoreApplication::installTranslator(qt);
        qtTranslator = qt;
    } else {
        delete qt;
    }
    QEvent change(QEvent::LanguageChange);
    QCoreApplication::sendEvent(QCoreApplication::instance(), &change);
    return found || locale.language() == QLocale::English;
}

PreferencesDialog::PreferencesDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Preferences"));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout();
    m_language = new QComboBox(this);
    m_language->setObjectName(QStringLiteral("languageCombo"));
    m_language->addItem(tr("System default"), QString());
    // Language names are written in their own language, so a user can find theirs whatever the current one is.
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("简体中文"), QStringLiteral("zh_CN"));
    const int current = m_language->findData(QSettings().value(settingsKey()).toString());
    m_language->setCurrentIndex(current >= 0 ? current : 0);
    form->addRow(tr("&Language:"), m_language);
    m_reopenLast = new QCheckBox(tr("&Reopen the last project on start"), this);
    m_reopenLast->setObjectName(QStringLiteral("reopenLastCheck"));
    m_reopenLast->setToolTip(tr("A project folder given on the command line, or --demo, is opened instead"));
    m_reopenLast->setChecked(QSettings().value(reopenLastKey(), true).toBool());
    form->addRow(QString(), m_reopenLast);
    // The GPUs this LibTorch sees; a stored GPU that is not visible now stays listed (opening a project then names
    // the problem) so that the setting is not lost on a machine without it.
    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("deviceCombo"));
    m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
    for (int i = 0; i < diffii::cudaDeviceCount(); ++i)
        m_device->addItem(tr("GPU %1 (CUDA)").arg(i), QStringLiteral("cuda:%1").arg(i));
    const QString stored = device();
    if (m_device->findData(stored) < 0) m_device->addItem(tr("%1 (not visible now)").arg(stored), stored);
    m_device->setCurrentIndex(m_device->findData(stored));
    m_device->setToolTip(
        tr("Where the models compute. Applies when a project is opened next; the CLI takes --device."));
    form->addRow(tr("Compute &device:"), m_device);
    const int gpus = diffii::cudaDeviceCount();
    auto* deviceInfo = new QLabel(gpus > 0 ? tr("GPUs this build can use: %1").arg(gpus)
                                           : tr("No GPU this build can use: it computes on the CPU (a CPU-only "
                                                "LibTorch, or no GPU visible)."),
                                  this);
    deviceInfo->setObjectName(QStringLiteral("deviceInfo"));
    deviceInfo->setWordWrap(true);
    form->addRow(QString(), deviceInfo);
    layout->addLayout(form);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString PreferencesDialog::language() const { return m_language->currentData().toString(); }

void PreferencesDialog::accept() {
    QSettings settings;
    const QString before = settings.value(settingsKey()).toString();
    if (language().isEmpty())
        settings.remove(settingsKey());
    else
        settings.setValue(settingsKey(), language());
    settings.setValue(reopenLastKey(), m_reopenLast->isChecked());
    settings.setValue(deviceKey(), m_device->currentData().toString());
    QDialog::accept();
    if (language() != before) applyLanguage(language());
}

}  // namespace diffii::ui
