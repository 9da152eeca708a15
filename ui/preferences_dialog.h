// Preferences: the interface language (English, Simplified Chinese or the system's), stored in QSettings
// "ui/language" and applied when the application starts.
#pragma once

#include <QDialog>

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

private:
    QComboBox* m_language = nullptr;
};

}  // namespace diffii::ui
