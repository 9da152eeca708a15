#include "ui/preferences_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QVBoxLayout>

namespace diffii::ui {

QString PreferencesDialog::settingsKey() { return QStringLiteral("ui/language"); }

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
    layout->addLayout(form);
    auto* note = new QLabel(tr("The language changes when Diff-II Studio is restarted."), this);
    note->setObjectName(QStringLiteral("languageNote"));
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString PreferencesDialog::language() const { return m_language->currentData().toString(); }

void PreferencesDialog::accept() {
    QSettings settings;
    if (language().isEmpty())
        settings.remove(settingsKey());
    else
        settings.setValue(settingsKey(), language());
    QDialog::accept();
}

}  // namespace diffii::ui
