// The New-project dialog, driven through the main window like a user would: each invalid field (empty, a missing
// dataset, a dataset without images, a folder that is not a model, a project folder that is not empty or already a
// project, an empty metaclass) is named beside the field and keeps Create disabled, and nothing is written; a model
// that passes the quick check but does not load leaves no folder, no temporary sibling and no Open-recent entry, and
// the dialog stays open with its fields and its message (no error box); a valid project is created, opened and
// added to Open recent. The folder pickers can make new folders.
#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolButton>
#include <QtTest>

#include "tests/test_registry.h"
#include "ui/main_window.h"
#include "ui/new_project_dialog.h"
#include "ui/studio_controller.h"

#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

using namespace diffii::ui;
using State = NewProjectDialog::FieldState;

namespace {
constexpr int kCheckMs = 20000;
constexpr int kCreateMs = 120000;
const QString kFixtures = QStringLiteral(DIFFII_SHARED_DIR "/fixtures");
const char* const kRecentKey = "project/recent";

bool copyTree(const QString& from, const QString& to) {
    if (!QDir().mkpath(to)) return false;
    const QDir src(from);
    for (const QFileInfo& e : src.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot)) {
        const QString dst = QDir(to).filePath(e.fileName());
        if (e.isDir() ? !copyTree(e.filePath(), dst) : !QFile::copy(e.filePath(), dst)) return false;
    }
    return true;
}
}  // namespace

class TestUiNewProject : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void emptyFieldsKeepCreateDisabled();
    void eachInvalidFieldIsNamed();
    void folderPickerCanMakeFolders();
    void failedCreationLeavesNothing();
    void createsAndOpensValidProject();
    void cleanupTestCase();

private:
    NewProjectDialog* openDialog();
    template <typename T>
    T* child(const char* name) {
        T* w = m_dialog ? m_dialog->findChild<T*>(QLatin1String(name)) : nullptr;
        if (!w) qWarning("no widget '%s'", name);
        return w;
    }
    void setText(const char* field, const QString& text) { child<QLineEdit>(field)->setText(text); }
    // Waits for the field's check to settle (no "Checking..." left) and returns its state.
    State settled(State (NewProjectDialog::*state)() const);
    QString status(const char* label) { return child<QLabel>(label)->text(); }
    QStringList recent() const { return QSettings().value(QLatin1String(kRecentKey)).toStringList(); }
    // Names in the temporary folder (hidden included): what the dialog may have written.
    QStringList rootEntries() const {
        return QDir(m_tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Name);
    }
    void fillValid(const QString& projectDir, const QString& model);

    QTemporaryDir m_tmp;
    QString m_dataset, m_noImages, m_notModel, m_brokenModel, m_model;
    StudioController* m_controller = nullptr;
    MainWindow* m_window = nullptr;
    QPointer<NewProjectDialog> m_dialog;
    QTimer m_boxWatch;
    int m_boxes = 0;
    QStringList m_initialEntries;
};

void TestUiNewProject::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().remove(QLatin1String(kRecentKey));
    QVERIFY(m_tmp.isValid());
    m_model = kFixtures + QStringLiteral("/tiny-sd1");
    if (!QFileInfo::exists(m_model + QStringLiteral("/model_index.json")))
        QSKIP(qPrintable(QStringLiteral("reference fixtures not found: %1").arg(m_model)));
    // Two classes, one of them of a single image (a scan warning), and a stray GIF the scan leaves out.
    m_dataset = m_tmp.filePath(QStringLiteral("data"));
    const QString images = kFixtures + QStringLiteral("/tiny-sd1-diffii/");
    for (const QString& cls : {QStringLiteral("finch"), QStringLiteral("robin")})
        QVERIFY(QDir().mkpath(m_dataset + QLatin1Char('/') + cls));
    QVERIFY(QFile::copy(images + QStringLiteral("input_0.png"), m_dataset + QStringLiteral("/finch/a.png")));
    QVERIFY(QFile::copy(images + QStringLiteral("input_1.png"), m_dataset + QStringLiteral("/finch/b.png")));
    QVERIFY(QFile::copy(images + QStringLiteral("input_0.png"), m_dataset + QStringLiteral("/robin/a.png")));
    // Class folders with captions but no image.
    m_noImages = m_tmp.filePath(QStringLiteral("no-images"));
    QVERIFY(QDir().mkpath(m_noImages + QStringLiteral("/finch")));
    QFile caption(m_noImages + QStringLiteral("/finch/a.txt"));
    QVERIFY(caption.open(QIODevice::WriteOnly));
    caption.write("a finch\n");
    caption.close();
    // A folder that is no model at all, and a model whose configs disagree with its weights (it passes the quick
    // header check and fails when it loads).
    m_notModel = m_tmp.filePath(QStringLiteral("not-a-model"));
    QVERIFY(QDir().mkpath(m_notModel));
    QVERIFY(QFile::copy(m_model + QStringLiteral("/unet/config.json"), m_notModel + QStringLiteral("/config.json")));
    m_brokenModel = m_tmp.filePath(QStringLiteral("broken-model"));
    QVERIFY(copyTree(m_model, m_brokenModel));
    QFile config(m_brokenModel + QStringLiteral("/unet/config.json"));
    QVERIFY(config.open(QIODevice::ReadOnly));
    QJsonObject unet = QJsonDocument::fromJson(config.readAll()).object();
    config.close();
    QCOMPARE(unet.value(QStringLiteral("layers_per_block")).toInt(), 2);
    unet.insert(QStringLiteral("layers_per_block"), 1);
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(QJsonDocument(unet).toJson());
    config.close();

    m_controller = new StudioController;
    m_window = new MainWindow(m_controller);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    // Any error box would block a user: count and close every one that shows up.
    connect(&m_boxWatch, &QTimer::timeout, this, [this] {
        for (QWidget* w : QApplication::topLevelWidgets())
            if (auto* box = qobject_cast<QMessageBox*>(w); box && box->isVisible()) {
                ++m_boxes;
                qWarning("error box: %s", qPrintable(box->text()));
                box->reject();
            }
    });
    m_boxWatch.start(50);
    m_initialEntries = rootEntries();
}

void TestUiNewProject::cleanupTestCase() {
    m_boxWatch.stop();
    delete m_window;
    delete m_controller;
}

NewProjectDialog* TestUiNewProject::openDialog() {
    if (!m_dialog) {
        m_window->newProject();
        m_dialog = m_window->newProjectDialog();
    }
    return m_dialog;
}

State TestUiNewProject::settled(State (NewProjectDialog::*state)() const) {
    QTest::qWait(1);
    QElapsedTimer t;
    t.start();
    while (((*m_dialog).*state)() == State::Checking && t.elapsed() < kCheckMs) QTest::qWait(20);
    return ((*m_dialog).*state)();
}

void TestUiNewProject::fillValid(const QString& projectDir, const QString& model) {
    setText("newProjectDir", projectDir);
    setText("newProjectDataset", m_dataset);
    setText("newProjectModel", model);
    setText("newProjectMetaclass", QStringLiteral("bird"));
}

void TestUiNewProject::emptyFieldsKeepCreateDisabled() {
    QVERIFY(openDialog());
    QVERIFY(m_dialog->isVisible());
    auto* create = child<QPushButton>("createProjectButton");
    QVERIFY(create);
    QCOMPARE(settled(&NewProjectDialog::datasetState), State::Empty);
    QCOMPARE(settled(&NewProjectDialog::modelState), State::Empty);
    QCOMPARE(m_dialog->projectState(), State::Empty);
    QVERIFY(!create->isEnabled());
    QVERIFY(status("newProjectDirStatus").contains(QStringLiteral("Choose")));
    QVERIFY(status("newProjectDatasetStatus").contains(QStringLiteral("Choose")));
    QVERIFY(status("newProjectModelStatus").contains(QStringLiteral("Choose")));
    setText("newProjectMetaclass", QStringLiteral("   "));
    QCOMPARE(m_dialog->metaclassState(), State::Invalid);
    QVERIFY(status("newProjectMetaclassStatus").contains(QStringLiteral("Give the word")));
    // OK with empty fields: nothing happens, the dialog stays, nothing is written.
    create->click();
    QTest::keyClick(m_dialog, Qt::Key_Return);
    QTest::qWait(200);
    QVERIFY(m_dialog && m_dialog->isVisible());
    QVERIFY(!m_controller->busy());
    QCOMPARE(rootEntries(), m_initialEntries);
    QVERIFY(recent().isEmpty());
    QCOMPARE(m_boxes, 0);
}

void TestUiNewProject::eachInvalidFieldIsNamed() {
    QVERIFY(openDialog());
    auto* create = child<QPushButton>("createProjectButton");
    const QString target = m_tmp.filePath(QStringLiteral("projects/first"));
    fillValid(target, m_model);
    QCOMPARE(settled(&NewProjectDialog::datasetState), State::Valid);
    QCOMPARE(settled(&NewProjectDialog::modelState), State::Valid);
    QCOMPARE(m_dialog->projectState(), State::Valid);
    QCOMPARE(m_dialog->metaclassState(), State::Valid);
    QVERIFY(create->isEnabled());
    // What each check found.
    const QString dataset = status("newProjectDatasetStatus");
    QVERIFY2(dataset.contains(QStringLiteral("2 class")) && dataset.contains(QStringLiteral("3 image")),
             qPrintable(dataset));
    QVERIFY2(dataset.contains(QStringLiteral("warning")) && dataset.contains(QStringLiteral("robin")),
             qPrintable(dataset));
    const QString model = status("newProjectModelStatus");
    qInfo("dataset: %s\nmodel: %s", qPrintable(dataset), qPrintable(model));
    const QString shot = qEnvironmentVariable("DIFFII_NEW_PROJECT_SHOT");
    if (!shot.isEmpty()) QVERIFY(m_dialog->grab().save(shot));
    QVERIFY2(model.contains(QStringLiteral("UNet2DConditionModel")) && model.contains(QStringLiteral("CLIPTextModel")),
             qPrintable(model));
    QVERIFY2(status("newProjectDirStatus").contains(QStringLiteral("New folder")),
             qPrintable(status("newProjectDirStatus")));

    struct Case {
        const char* field;
        QString value;
        State (NewProjectDialog::*state)() const;
        const char* statusLabel;
        QString reason;
        QString valid;
    };
    const QString full = m_tmp.filePath(QStringLiteral("full"));
    QVERIFY(QDir().mkpath(full + QStringLiteral("/something")));
    const QString existing = m_tmp.filePath(QStringLiteral("existing"));
    QVERIFY(QDir().mkpath(existing));
    QFile json(existing + QStringLiteral("/project.json"));
    QVERIFY(json.open(QIODevice::WriteOnly));
    json.close();
    const QList<Case> cases = {
        {"newProjectDataset", QString(), &NewProjectDialog::datasetState, "newProjectDatasetStatus",
         QStringLiteral("Choose the dataset"), m_dataset},
        {"newProjectDataset", m_tmp.filePath(QStringLiteral("missing")), &NewProjectDialog::datasetState,
         "newProjectDatasetStatus", QStringLiteral("No such folder"), m_dataset},
        {"newProjectDataset", m_noImages, &NewProjectDialog::datasetState, "newProjectDatasetStatus",
         QStringLiteral("Not a usable dataset"), m_dataset},
        {"newProjectModel", QString(), &NewProjectDialog::modelState, "newProjectModelStatus",
         QStringLiteral("Choose a Stable Diffusion model"), m_model},
        {"newProjectModel", m_notModel, &NewProjectDialog::modelState, "newProjectModelStatus",
         QStringLiteral("Not a usable model folder"), m_model},
        {"newProjectModel", m_dataset, &NewProjectDialog::modelState, "newProjectModelStatus",
         QStringLiteral("Not a usable model folder"), m_model},
        {"newProjectDir", QString(), &NewProjectDialog::projectState, "newProjectDirStatus",
         QStringLiteral("Choose a new or empty folder"), target},
        {"newProjectDir", QStringLiteral("relative/project"), &NewProjectDialog::projectState, "newProjectDirStatus",
         QStringLiteral("full path"), target},
        {"newProjectDir", full, &NewProjectDialog::projectState, "newProjectDirStatus", QStringLiteral("not empty"),
         target},
        {"newProjectDir", existing, &NewProjectDialog::projectState, "newProjectDirStatus",
         QStringLiteral("A project is already here"), target},
        {"newProjectDir", m_dataset + QStringLiteral("/project"), &NewProjectDialog::projectState,
         "newProjectDirStatus", QStringLiteral("Inside the dataset folder"), target},
        {"newProjectMetaclass", QString(), &NewProjectDialog::metaclassState, "newProjectMetaclassStatus",
         QStringLiteral("Give the word"), QStringLiteral("bird")},
    };
    const QStringList before = rootEntries();
    for (const Case& c : cases) {
        const QString what = QStringLiteral("%1 = '%2'").arg(QLatin1String(c.field), c.value);
        setText(c.field, c.value);
        const State s = settled(c.state);
        QVERIFY2(s == State::Invalid || (c.value.isEmpty() && s == State::Empty), qPrintable(what));
        QVERIFY2(status(c.statusLabel).contains(c.reason),
                 qPrintable(what + QStringLiteral(": ") + status(c.statusLabel)));
        QVERIFY2(!create->isEnabled(), qPrintable(what));
        create->click();  // disabled: nothing is queued
        QTest::qWait(20);
        QVERIFY2(!m_controller->busy() && m_dialog->isVisible(), qPrintable(what));
        setText(c.field, c.valid);
        QCOMPARE(settled(c.state), State::Valid);
        QVERIFY2(create->isEnabled(), qPrintable(what));
    }
    QCOMPARE(rootEntries(), before);
    QVERIFY(!QFileInfo::exists(target));
    QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("projects"))));
    QVERIFY(QDir(full).entryList(QDir::AllEntries | QDir::NoDotAndDotDot) == QStringList{QStringLiteral("something")});
    QVERIFY(recent().isEmpty());
    QCOMPARE(m_boxes, 0);
}

void TestUiNewProject::folderPickerCanMakeFolders() {
    QVERIFY(openDialog());
    auto* browse = child<QPushButton>("browseProjectDir");
    QVERIFY(browse);
    browse->click();
    QFileDialog* picker = nullptr;
    QTRY_VERIFY((picker = m_dialog->findChild<QFileDialog*>(QStringLiteral("folderPicker"))) && picker->isVisible());
    QCOMPARE(picker->fileMode(), QFileDialog::Directory);
    QVERIFY(!picker->testOption(QFileDialog::ReadOnly));
    QVERIFY(picker->testOption(QFileDialog::DontUseNativeDialog));
    auto* newFolder = picker->findChild<QToolButton*>(QStringLiteral("newFolderButton"));
    QVERIFY(newFolder);
    QVERIFY(newFolder->isVisible() && newFolder->isEnabled());
    // Choosing a folder fills the field.
    const QString chosen = m_tmp.filePath(QStringLiteral("no-images"));
    Q_EMIT picker->fileSelected(chosen);
    picker->reject();
    QCOMPARE(QDir::cleanPath(child<QLineEdit>("newProjectDir")->text()), chosen);
    QTRY_VERIFY(!m_dialog->findChild<QFileDialog*>(QStringLiteral("folderPicker")));
}

void TestUiNewProject::failedCreationLeavesNothing() {
    QVERIFY(openDialog());
    auto* create = child<QPushButton>("createProjectButton");
    // An existing empty folder as the project folder: it must be left as it was, empty.
    const QString target = m_tmp.filePath(QStringLiteral("empty-target"));
    QVERIFY(QDir().mkpath(target));
    const QStringList before = rootEntries();
    fillValid(target, m_brokenModel);
    child<QSpinBox>("newProjectSeed")->setValue(11);
    QCOMPARE(settled(&NewProjectDialog::datasetState), State::Valid);
    QCOMPARE(settled(&NewProjectDialog::modelState), State::Valid);  // the headers are fine
    QCOMPARE(m_dialog->projectState(), State::Valid);
    QVERIFY(status("newProjectDirStatus").contains(QStringLiteral("Empty folder")));
    QVERIFY(create->isEnabled());
    for (int attempt = 0; attempt < 2; ++attempt) {  // retrying into the same folder fails the same way
        create->click();
        QVERIFY(m_dialog->creating());
        QTRY_VERIFY_WITH_TIMEOUT(!m_dialog->creating(), kCreateMs);
        QVERIFY(m_dialog->isVisible());
        auto* error = child<QLabel>("newProjectError");
        QVERIFY(error->isVisible());
        QVERIFY2(error->text().contains(QStringLiteral("not created")), qPrintable(error->text()));
        if (attempt == 0) qInfo("error: %s", qPrintable(error->text()));
        QVERIFY2(!error->text().contains(QStringLiteral("filesystem error")), qPrintable(error->text()));
        // Nothing retyped.
        QCOMPARE(child<QLineEdit>("newProjectDir")->text(), target);
        QCOMPARE(child<QLineEdit>("newProjectDataset")->text(), m_dataset);
        QCOMPARE(child<QLineEdit>("newProjectModel")->text(), m_brokenModel);
        QCOMPARE(child<QLineEdit>("newProjectMetaclass")->text(), QStringLiteral("bird"));
        QCOMPARE(child<QSpinBox>("newProjectSeed")->value(), 11);
        QVERIFY(child<QLineEdit>("newProjectDir")->isEnabled());
        // Nothing left: the empty folder is still empty, no temporary sibling, no recent entry, no project open.
        QCOMPARE(rootEntries(), before);
        QVERIFY(QDir(target).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden));
        QVERIFY(recent().isEmpty());
        QVERIFY(!m_controller->hasProject());
        QCOMPARE(settled(&NewProjectDialog::modelState), State::Valid);
        QCOMPARE(m_dialog->projectState(), State::Valid);
        QCOMPARE(m_boxes, 0);
    }
    // A new folder that does not exist yet is not left behind either.
    const QString fresh = m_tmp.filePath(QStringLiteral("fresh/project"));
    setText("newProjectDir", fresh);
    QCOMPARE(m_dialog->projectState(), State::Valid);
    create->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_dialog->creating(), kCreateMs);
    QVERIFY(m_dialog->isVisible());
    QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("fresh"))));  // nor the folder made above it
    QCOMPARE(rootEntries(), before);
    QVERIFY(recent().isEmpty());
    QCOMPARE(m_boxes, 0);
}

void TestUiNewProject::createsAndOpensValidProject() {
    QVERIFY(openDialog());
    auto* create = child<QPushButton>("createProjectButton");
    const QString target = m_tmp.filePath(QStringLiteral("projects/finches"));
    fillValid(target, m_model);
    QCOMPARE(settled(&NewProjectDialog::datasetState), State::Valid);
    QCOMPARE(settled(&NewProjectDialog::modelState), State::Valid);
    QVERIFY(create->isEnabled());
    QSignalSpy created(m_dialog.data(), &NewProjectDialog::projectCreated);
    create->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_dialog || !m_dialog->isVisible(), kCreateMs);
    QCOMPARE(created.count(), 1);
    QCOMPARE(created.at(0).at(0).toString(), target);
    QVERIFY(QFileInfo::exists(target + QStringLiteral("/project.json")));
    QCOMPARE(QDir(m_tmp.filePath(QStringLiteral("projects")))
                 .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{QStringLiteral("finches")});
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->busy(), kCreateMs);
    QVERIFY(m_controller->hasProject());
    QCOMPARE(QDir::cleanPath(m_controller->project().dir), target);
    QCOMPARE(m_controller->project().metaclass, QStringLiteral("bird"));
    QCOMPARE(m_controller->project().classes.size(), 2);
    QCOMPARE(recent().value(0), target);
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("finches")));
    auto* table = m_window->findChild<QTableWidget*>(QStringLiteral("classTable"));
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(m_boxes, 0);

    // The same folder again: the dialog names the project that is there now.
    m_dialog.clear();
    QVERIFY(openDialog());
    QVERIFY(m_dialog->isVisible());
    setText("newProjectDir", target);
    QCOMPARE(m_dialog->projectState(), State::Invalid);
    QVERIFY(status("newProjectDirStatus").contains(QStringLiteral("A project is already here")));
    m_dialog->reject();
    QTRY_VERIFY(!m_dialog);
}

DIFFII_TEST_MAIN(TestUiNewProject, Gui)
}  // namespace DIFFII_UNIT
#include "test_ui_new_project.moc"
