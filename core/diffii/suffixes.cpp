#include "core/diffii/suffixes.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "core/io/error.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"

namespace diffii {
namespace {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'' || c == '-' ||
            static_cast<unsigned char>(c) >= 0x80) {
            cur.push_back(c);
        } else if (!cur.empty()) {
            out.push_back(cur);
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

}  // namespace

std::vector<std::string> defaultSuffixes(const std::string& metaclass) {
    static const std::map<std::string, std::vector<std::string>> lists = {
        {"bird",
         {"standing on a tree branch", "flying in the blue sky", "perched on a wooden fence", "swimming in a lake",
          "walking on the grass", "standing on the beach", "sitting in its nest", "standing on a rock",
          "among green leaves", "in the snow"}},
        {"dog",
         {"running on the grass", "lying on a sofa", "sitting in a park", "playing with a ball", "on a beach",
          "in the snow", "on a city street", "sleeping on a bed", "in a garden", "jumping in the air"}},
        {"cat",
         {"lying on a sofa", "sitting on a windowsill", "sleeping on a bed", "playing with a toy", "in a garden",
          "on a wooden floor", "on a kitchen table", "in the sunlight", "in a cardboard box", "on a carpet"}},
        {"car",
         {"parked on a city street", "on a highway", "in a parking lot", "in a showroom", "on a country road",
          "in the rain", "in the snow", "at night", "in front of a house", "on a race track"}},
        {"aircraft",
         {"flying in the blue sky", "landing at an airport", "on the runway", "taking off", "above the clouds",
          "parked at the gate", "in a hangar", "at sunset", "over the sea", "in an air show"}},
        {"flower",
         {"in a garden", "in a vase", "in a meadow", "with morning dew", "in the sunlight", "in a bouquet",
          "beside green leaves", "in a flower pot", "in the rain", "in a forest"}},
        {"food",
         {"on a white plate", "on a wooden table", "in a bowl", "in a restaurant", "on a kitchen counter",
          "with cutlery", "in a lunch box", "on a picnic blanket", "in soft light", "from above"}},
    };
    const auto it = lists.find(lower(trim(metaclass)));
    if (it != lists.end()) return it->second;
    return {"in a natural setting",
            "outdoors in daylight",
            "indoors",
            "in front of a plain background",
            "in soft light",
            "from the side",
            "close-up",
            "in a busy scene",
            "at sunset",
            "on a table"};
}

std::vector<std::string> parseSuffixes(const std::string& text) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (seen.insert(line).second) out.push_back(line);
    }
    return out;
}

std::vector<std::string> loadSuffixes(const std::string& path) {
    return parseSuffixes(readSmallFile(path, "the suffix list"));
}

void saveSuffixes(const std::string& path, const std::vector<std::string>& suffixes) {
    std::string text;
    for (const auto& s : suffixes) {
        if (s.find('\n') != std::string::npos) throw Error(path + ": suffix '" + s + "' contains a line break");
        text += s + "\n";
    }
    writeFileAtomic(path, text);
}

std::vector<std::string> readCaptionsFile(const std::string& path) {
    std::istringstream in(readSmallFile(path, "the captions file"));
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        // "image<TAB>caption" or "image,caption": keep the caption part when the first field looks like a file.
        for (char sep : {'\t', ','}) {
            const auto pos = line.find(sep);
            if (pos != std::string::npos) {
                const auto first = lower(line.substr(0, pos));
                for (const char* ext : {".jpg", ".jpeg", ".png", ".bmp", ".webp"}) {
                    if (first.size() > std::strlen(ext) &&
                        first.compare(first.size() - std::strlen(ext), std::strlen(ext), ext) == 0) {
                        line = trim(line.substr(pos + 1));
                        break;
                    }
                }
            }
        }
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

std::vector<std::string> summariseCaptions(const std::vector<std::string>& captions, const std::string& metaclass,
                                           size_t maxSuffixes) {
    const std::string meta = lower(trim(metaclass));
    std::map<std::string, std::pair<int, size_t>> counts;  // phrase -> (count, first index)
    size_t order = 0;
    for (const auto& caption : captions) {
        auto ws = words(lower(caption));
        if (ws.empty()) continue;
        // Context = words after the first mention of the metaclass (or its plural); else after "is"/"are".
        size_t start = ws.size();
        for (size_t i = 0; i < ws.size(); ++i) {
            if (ws[i] == meta || ws[i] == meta + "s" || ws[i] == meta + "es") {
                start = i + 1;
                break;
            }
        }
        if (start == ws.size()) {
            for (size_t i = 0; i < ws.size(); ++i)
                if (ws[i] == "is" || ws[i] == "are") {
                    start = i + 1;
                    break;
                }
        }
        if (start >= ws.size()) continue;
        // Drop leading copulas; keep at most 8 words.
        while (start < ws.size() &&
               (ws[start] == "is" || ws[start] == "are" || ws[start] == "that" || ws[start] == "which"))
            ++start;
        std::string phrase;
        for (size_t i = start; i < ws.size() && i < start + 8; ++i) phrase += (phrase.empty() ? "" : " ") + ws[i];
        if (phrase.size() < 3) continue;
        auto& c = counts[phrase];
        if (c.first == 0) c.second = order++;
        c.first++;
    }
    std::vector<std::pair<std::string, std::pair<int, size_t>>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second.first != b.second.first ? a.second.first > b.second.first : a.second.second < b.second.second;
    });
    std::vector<std::string> out;
    for (const auto& s : sorted) {
        if (out.size() >= maxSuffixes) break;
        out.push_back(s.first);
    }
    return out;
}

}  // namespace diffii
