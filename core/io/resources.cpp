#include "core/io/resources.h"

#include <cstdlib>
#include <filesystem>

#include "core/io/error.h"
#include "diffii_source_dir.h"

namespace diffii {

namespace fs = std::filesystem;

std::vector<std::string> resourceFolderCandidates() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("DIFFII_RESOURCES"); env && *env) candidates.emplace_back(env);
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back((exe.parent_path() / ".." / "share" / "diffii-studio" / "resources").string());
        candidates.push_back((exe.parent_path() / ".." / ".." / "resources").string());
        candidates.push_back((exe.parent_path() / ".." / "resources").string());
    }
    if (*DIFFII_DEMO_SOURCE_DIR) candidates.push_back((fs::path(DIFFII_DEMO_SOURCE_DIR) / "resources").string());
    return candidates;
}

std::string findResource(const std::string& relativePath) {
    std::string tried;
    for (const auto& c : resourceFolderCandidates()) {
        const auto p = fs::path(c) / relativePath;
        std::error_code ec;
        if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
        tried += "\n  " + p.string();
    }
    throw Error("resource '" + relativePath +
                "' not found (set DIFFII_RESOURCES to the resources folder); tried:" + tried);
}

}  // namespace diffii
