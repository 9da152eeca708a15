// Preferences: the interface language (English, Simplified Chinese or the system's), stored in QSettings
// "ui/language" and applied at once (menus, step list, status bar and every page: ui/retranslate.h), whether the
// last project is reopened on start ("project/reopenLast", on by default) and the compute device of the engine
// ("engine/device": "cpu" or "cuda:N", used when a project is opened next).
#pragma once

#include <QDialog>

class QCheckBox;
class QComboBox;

namespace diffii::ui {

class PreferencesDialog : public QDialog {
    Q_OBJECT

public:
    explicit PreferencesDialog(QWidget* parent = nullptr);

    // "" (system), "en" or "zh_CN".
    QString language() const;
    void accept() override;

    static QString settingsKey();
    static QString reopenLastKey();
    static QString deviceKey();
    // The stored compute device, canonical ("cpu", "cuda:0", ...); "cpu" when none or a malformed one is stored.
    static QString device();
    // Replaces the application's translators (Diff-II Studio's and Qt's own) by those of lang ("" : the system
    // locale); Qt then sends every window a LanguageChange event. Returns whether Diff-II Studio's catalogue for
    // the language was found (English needs none).
    static bool applyLanguage(const QString& lang);

private:
    QComboBox* m_language = nullptr;
    QCheckBox* m_reopenLast = nullptr;
    QComboBox* m_device = nullptr;
};

}  // namespace diffii::ui
