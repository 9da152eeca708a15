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

// A resumable job's checkpoint was made by a run with other settings or inputs: resuming is refused, nothing was
// changed. A front that saved this run's options first can take them back (diffii train).
class CheckpointMismatch : public Error {
public:
    using Error::Error;
};

}  // namespace diffii
