// Where the shipped resources folder (resources/ of the source tree) is found at run time.
#pragma once

#include <string>
#include <vector>

namespace diffii {

// In order: $DIFFII_RESOURCES, <executable>/../share/diffii-studio/resources, <executable>/../../resources (a build
// folder inside the source tree), <executable>/../resources, then the source tree the binary was built from.
std::vector<std::string> resourceFolderCandidates();

// The first candidate folder holding `relativePath` (a file or folder inside resources/), as a path; throws
// diffii::Error naming the places tried when none does.
std::string findResource(const std::string& relativePath);

}  // namespace diffii
