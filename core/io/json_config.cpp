#include "core/io/json_config.h"

#include <fstream>
#include <sstream>

namespace diffii {

nlohmann::json readJsonFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open JSON file (missing?)");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not well-formed JSON: " + e.what());
    }
}

}  // namespace diffii
