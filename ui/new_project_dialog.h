// The New-project dialog: project folder, dataset, model, metaclass and seed, each checked as it is typed, with its
// reason beside it (the dataset's classes, images and scan warnings; the model's architecture; whether the project
// folder is new or empty). The dataset scan and the model check run on a background thread (a "Checking..." state),
// never on the GUI thread. OK stays disabled until every field is valid; creating runs on the engine thread, which
// creates the folder atomically and removes it again when the project does not open. On an error the dialog stays
// open with its fields and shows the message inline.
#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace diffii::ui {

class StudioController;

class NewProjectDialog : public QDialog {
    Q_OBJECT

public:
    enum class FieldState { Empty, Checking, Valid, Invalid };

    explicit NewProjectDialog(StudioController* controller, QWidget* parent = nullptr);

    QString projectDir() const;
    FieldState projectState() const { return m_projectState; }
    FieldState datasetState() const { return m_datasetState; }
    FieldState modelState() const { return m_modelState; }
    FieldState metaclassState() const { return m_metaclassState; }
    // Every field valid and no check or creation running.
    bool canCreate() const;
    bool creating() const { return m_creating; }

public Q_SLOTS:
    void reject() override;

Q_SIGNALS:
    // The project was created and opened (the main window adds it to Open recent).
    void projectCreated(const QString& dir);

private:
    QWidget* folderRow(QLineEdit* edit, const QString& caption, const char* buttonName);
    // fileFilter: pick a file matching it ("*.safetensors") instead of a folder.
    void browse(QLineEdit* edit, const QString& caption, const QString& fileFilter = QString());
    void checkProject();
    void checkDataset();
    void checkModel();
    void checkMetaclass();
    void setStatus(QLabel* label, FieldState state, const QString& text, const QString& tooltip = QString());
    void updateOk();
    void create();
    void onCreated(const QString& dir, const QString& error);

    StudioController* m_controller;
    QLineEdit* m_project = nullptr;
    QLineEdit* m_dataset = nullptr;
    QLineEdit* m_model = nullptr;
    QLineEdit* m_metaclass = nullptr;
    QSpinBox* m_seed = nullptr;
    QLabel* m_projectStatus = nullptr;
    QLabel* m_datasetStatus = nullptr;
    QLabel* m_modelStatus = nullptr;
    QLabel* m_metaclassStatus = nullptr;
    QLabel* m_error = nullptr;
    QLabel* m_busy = nullptr;  // "a job is running": Create waits for its end (the job is never touched)
    QDialogButtonBox* m_buttons = nullptr;
    QTimer* m_datasetTimer = nullptr;
    QTimer* m_modelTimer = nullptr;
    FieldState m_projectState = FieldState::Empty;
    FieldState m_datasetState = FieldState::Empty;
    FieldState m_modelState = FieldState::Empty;
    FieldState m_metaclassState = FieldState::Empty;
    quint64 m_datasetCheck = 0;  // the latest check of each field: older results are dropped
    quint64 m_modelCheck = 0;
    bool m_creating = false;
    QString m_creatingDir;
};

}  // namespace diffii::ui
