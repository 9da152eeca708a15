// QCustomPlot's header spells Qt's keywords (signals, slots, foreach), which the ui target disables
// (QT_NO_KEYWORDS, because LibTorch has members named slots()). Include it through this header, and never in a
// file that also includes LibTorch.
#pragma once

#define signals Q_SIGNALS
#define slots Q_SLOTS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef foreach
