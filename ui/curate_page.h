// Curation of the generated images: a grid per class with accept / reject / pending / tag from the keyboard,
// filters (class, α range, s, suffix, source pair, status) and a detail panel with the image's numbers and the
// nearest real training image (pixel L2 on 32×32 RGB thumbnails, computed off the GUI thread).
#pragma once

#include <QHash>
#include <QImage>

#include "ui/studio_page.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QLayout;
class QLineEdit;
class QListView;
class QModelIndex;
class QPushButton;

namespace diffii::ui {

class CurateItemModel;
class CurateFilterModel;
class CurateImageLoader;

class CuratePage : public StudioPage {
    Q_OBJECT

public:
    explicit CuratePage(StudioController* controller, QWidget* parent = nullptr);
    ~CuratePage() override;
    QString title() const override { return tr("Curate"); }

    // Marks the current image (0 pending, 1 accepted, 2 rejected) and moves on when "advance" is checked.
    void markCurrent(int curation);
    // Opens the inline tag editor for the current image (key T).
    void editTags();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    // Construction helpers, called once from the constructor: each builds one visual group or wires one set of
    // signals.
    QLayout* buildFilterBar();
    void buildAlphaFilter(QLayout* filters);
    QWidget* buildGridPanel(QWidget* parent);
    QHBoxLayout* buildHintsRow(QWidget* parent);
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
    void sendCuration(const SyntheticItem& item);
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
    QLabel* m_count = nullptr;
    QListView* m_grid = nullptr;
    QCheckBox* m_advance = nullptr;

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
    QString m_tagTarget;         // outputPath of the image whose tags are being edited
};

}  // namespace diffii::ui
