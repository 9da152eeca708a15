// Runtime retranslation of text that was set once with tr(): Preferences can switch the language without a restart.
//
// Every tr() lookup passes through one recording translator (installed first, wrapping Diff-II Studio's catalogue),
// which remembers which source string (context, text, disambiguation) each shown text came from. On a language change
// retranslateTree() walks a widget tree and translates each remembered text again (labels, buttons, group boxes,
// tabs, headers, combo items, placeholders, spin-box affixes, tooltips, actions). Text assembled from a template with
// arguments ("12 images") is not a catalogue string: the page that shows it makes it again (StudioPage::retranslate).
// Pages built before and after a change, by any helper, follow without a retranslateUi() of their own.
#pragma once

#include <QString>

class QTranslator;
class QWidget;

namespace diffii::ui {

// Installs the recording translator (once; idempotent) and makes catalogue (may be null: English) the one it asks.
// Takes ownership of catalogue.
void setRecordingCatalogue(QTranslator* catalogue);
void installRecordingTranslator();

// The text `text` in the current language when it was a catalogue string shown in any earlier language, else
// `text` itself.
QString retranslated(const QString& text);

// Retranslates the remembered texts of root and of every widget and action below it.
void retranslateTree(QWidget* root);

}  // namespace diffii::ui
