// Base of the pages (the six steps of the flow and Evaluate). A page talks to the engine only through the controller
// (queued calls) and the worker's signals (queued connections).
#pragma once

#include <QEvent>
#include <QWidget>

#include "ui/retranslate.h"
#include "ui/studio_controller.h"

namespace diffii::ui {

class StudioPage : public QWidget {
    Q_OBJECT

public:
    StudioPage(StudioController* controller, QWidget* parent = nullptr) : QWidget(parent), m_controller(controller) {}
    virtual QString title() const = 0;

protected:
    // A language change (Preferences): the catalogue texts of the page follow by themselves (retranslateTree);
    // retranslate() makes again the texts a page assembles from templates with arguments.
    void changeEvent(QEvent* event) override {
        if (event->type() == QEvent::LanguageChange) {
            retranslateTree(this);
            retranslate();
        }
        QWidget::changeEvent(event);
    }
    virtual void retranslate() {}
    StudioController* controller() const { return m_controller; }
    EngineWorker* worker() const { return m_controller->worker(); }

private:
    StudioController* m_controller;
};

}  // namespace diffii::ui
