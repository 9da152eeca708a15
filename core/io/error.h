// Every failure the engine reports is a diffii::Error whose message names the file, key and the expected
// and actual values, so that the GUI can show it and the CLI can print it verbatim.
#pragma once

#include <stdexcept>
#include <string>

namespace diffii {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace diffii
