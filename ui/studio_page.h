// Base of the pages (the six steps of the flow and Evaluate). A page talks to the engine only through the controller
// (queued calls) and the worker's signals (queued connections).
#pragma once

#include <QWidget>

#include "ui/studio_controller.h"

namespace diffii::ui {

class StudioPage : public QWidget {
    Q_OBJECT

public:
    StudioPage(StudioController* controller, QWidget* parent = nullptr) : QWidget(parent), m_controller(controller) {}
    virtual QString title() const = 0;

protected:
    StudioController* controller() const { return m_controller; }
    EngineWorker* worker() const { return m_controller->worker(); }

private:
    StudioController* m_controller;
};

}  // namespace diffii::ui
