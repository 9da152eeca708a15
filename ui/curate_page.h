// Curation of the generated images: a grid per class with accept / reject / pending / tag from the keyboard,
// multi-selection (shift / ctrl-click) with undo / redo of every mark (Ctrl+Z, Ctrl+Shift+Z), filters (class, α range,
// s, suffix, source pair, status, tag) and a detail panel with the image's numbers and the
// nearest real training image (pixel L2 on 32×32 RGB thumbnails, computed off the GUI thread).
#pragma once

#include <QHash>
#include <QImage>

#include "ui/studio_page.h"

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QHBoxLayout;
class QVBoxLayout;
class QLabel;
class QLayout;
class QLineEdit;
class QListView;
class QModelIndex;
class QPushButton;
class QUndoStack;

namespace diffii::ui {

class CurateItemModel;
class CurateFilterModel;
class CurateImageLoader;
class CurationCommand;

class CuratePage : public StudioPage {
    Q_OBJECT

public:
    explicit CuratePage(StudioController* controller, QWidget* parent = nullptr);
    ~CuratePage() override;
    QString title() const override { return tr("Curate"); }

    // Marks the selected images (0 pending, 1 accepted, 2 rejected; the current one when nothing is selected) as
    // one undo step, and moves on when "advance" is checked and a single image was marked.
    void markCurrent(int curation);
    // Opens the inline tag editor for the selected images (key T); with several, it shows their common tags and
    // Enter replaces those in each image, keeping the others.
    void editTags();

    // Undo / redo of the marks and tags (Ctrl+Z, Ctrl+Shift+Z): each step rewrites the manifest on disk. The
    // actions are active while the focus is on this page; the main window also lists them in its Edit menu.
    QUndoStack* undoStack() const { return m_undo; }
    QAction* undoAction() const { return m_undoAction; }
    QAction* redoAction() const { return m_redoAction; }

protected:
    void retranslate() override;
    bool eventFilter(QObject* watched, QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    // Construction helpers, called once from the constructor: each builds one visual group or wires one set of
    // signals.
    QLayout* buildFilterBar();
    void buildAlphaFilter(QLayout* filters);
    QWidget* buildGridPanel(QWidget* parent);
    QVBoxLayout* buildHintsRow(QWidget* parent);
    QWidget* buildDetailPanel(QWidget* parent);
    QGroupBox* buildNumbersGroup(QWidget* parent);
    QLayout* buildCurationButtons(QWidget* parent);
    QGroupBox* buildNearestGroup(QWidget* parent);
    void connectController();

    bool handleKey(QKeyEvent* event);
    void onSyntheticChanged(const QList<diffii::ui::SyntheticItem>& items);
    void onProjectChanged(const diffii::ui::ProjectInfo& info);
    void rebuildFilterChoices();
    void applyFilters();
    void onCurrentChanged(const QModelIndex& current);
    void showDetail(const SyntheticItem* item);
    void commitTags();
    // The selected images' output paths in view order (the current image when nothing is selected).
    QStringList selectedPaths() const;
    // One undo step setting curations[i] and tags[i] on paths[i] (nothing when nothing changes).
    void pushMarks(const QString& text, const QStringList& paths, const QList<int>& curations,
                   const QList<QStringList>& tags);
    // Applies marks to the grid and writes them to disk in one engine call (the undo commands call it).
    void applyMarks(const QStringList& paths, const QList<int>& curations, const QList<QStringList>& tags);
    void moveCurrent(int step, bool extend);
    void buildActions();
    void updateCount();
    friend class CurationCommand;
    void onNearest(qint64 request, const QString& path, double distance, const QImage& thumbnail);
    void onLargeImage(qint64 request, const QImage& image);
    const SyntheticItem* currentItem() const;

    CurateItemModel* m_model = nullptr;
    CurateFilterModel* m_filter = nullptr;
    CurateImageLoader* m_loader = nullptr;
    ProjectInfo m_project;

    QComboBox* m_classFilter = nullptr;
    QDoubleSpinBox* m_alphaMin = nullptr;
    QDoubleSpinBox* m_alphaMax = nullptr;
    QComboBox* m_splitFilter = nullptr;
    QComboBox* m_suffixFilter = nullptr;
    QComboBox* m_pairFilter = nullptr;
    QComboBox* m_statusFilter = nullptr;
    QComboBox* m_tagFilter = nullptr;
    QLabel* m_count = nullptr;
    QListView* m_grid = nullptr;
    QCheckBox* m_advance = nullptr;
    QLabel* m_selection = nullptr;  // "4 selected" while several images are

    QLabel* m_empty = nullptr;
    QLabel* m_image = nullptr;
    QHash<QString, QLabel*> m_values;  // detail fields by key
    QLabel* m_nearestImage = nullptr;
    QLabel* m_nearestName = nullptr;
    QLabel* m_nearestDistance = nullptr;
    QLineEdit* m_tagEdit = nullptr;
    QPushButton* m_accept = nullptr;
    QPushButton* m_reject = nullptr;
    QPushButton* m_pending = nullptr;
    QPushButton* m_tag = nullptr;

    qint64 m_detailRequest = 0;  // newest detail request; older results are dropped
    QStringList m_tagTargets;    // outputPaths of the images whose tags are being edited
    QStringList m_tagCommon;     // their common tags when the editor opened (replaced by what is typed)
    QUndoStack* m_undo = nullptr;
    // Marks and tags set here whose write the worker has not yet reported back: a reload that was read before
    // the write (an earlier step's) must not put the older values back into the grid, or the next mark would
    // write them to disk. Each entry goes once a reload shows it on disk.
    QHash<QString, QPair<int, QStringList>> m_unwrittenMarks;
    QAction* m_undoAction = nullptr;
    QAction* m_redoAction = nullptr;
};

}  // namespace diffii::ui
