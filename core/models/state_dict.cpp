#include "core/models/state_dict.h"

#include <map>
#include <sstream>

#include <torch/torch.h>

#include "core/io/error.h"
#include "core/models/layers.h"

namespace diffii {
namespace {

std::string shapeText(c10::IntArrayRef s) {
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    os << ']';
    return os.str();
}

std::vector<int64_t> stripTrailingOnes(c10::IntArrayRef s) {
    std::vector<int64_t> v(s.begin(), s.end());
    while (v.size() > 2 && v.back() == 1) v.pop_back();
    return v;
}

std::string joinList(const std::vector<std::string>& items, size_t limit) {
    std::ostringstream os;
    for (size_t i = 0; i < items.size() && i < limit; ++i) os << "\n    " << items[i];
    if (items.size() > limit) os << "\n    ... and " << (items.size() - limit) << " more";
    return os.str();
}

}  // namespace

std::string LoadReport::describe(const std::string& file) const {
    std::ostringstream os;
    os << file << ": checkpoint does not match the model";
    if (!missing.empty()) os << "\n  missing keys (" << missing.size() << "):" << joinList(missing, 20);
    if (!unexpected.empty()) os << "\n  unexpected keys (" << unexpected.size() << "):" << joinList(unexpected, 20);
    if (!mismatched.empty()) os << "\n  shape mismatches (" << mismatched.size() << "):" << joinList(mismatched, 20);
    return os.str();
}

namespace {

// The one rule for whether a checkpoint tensor fits a module tensor.
bool shapesCompatible(c10::IntArrayRef checkpoint, c10::IntArrayRef model, const LoadOptions& options) {
    if (checkpoint.equals(model)) return true;
    return options.allowSqueezedLinear && stripTrailingOnes(checkpoint) == stripTrailingOnes(model);
}

// Walks every checkpoint key against the module's tensors; `onMatch` receives each fitting (file, key, target).
template <typename OnMatch>
LoadReport matchStateDict(torch::nn::Module& module, const std::vector<std::string>& files, const LoadOptions& options,
                          OnMatch&& onMatch) {
    auto targets = stateDictTargets(module);
    LoadReport report;
    std::map<std::string, bool> seen;
    for (const auto& path : files) {
        SafeTensorsFile file(path);
        for (const auto& key : file.keys()) {
            if (options.ignore && options.ignore(key)) continue;
            const std::string name = options.rename ? options.rename(key) : key;
            const auto it = targets.find(name);
            if (it == targets.end()) {
                report.unexpected.push_back(key);
                continue;
            }
            const c10::IntArrayRef src(file.info(key).shape);
            // Present, of another shape: a mismatch, not also a missing key.
            seen[name] = true;
            if (!shapesCompatible(src, it->second.sizes(), options)) {
                report.mismatched.push_back(key + ": checkpoint " + shapeText(src) + " vs model " +
                                            shapeText(it->second.sizes()));
                continue;
            }
            onMatch(file, key, it->second);
        }
    }
    for (const auto& kv : targets)
        if (!seen.count(kv.first)) report.missing.push_back(kv.first);
    return report;
}

std::string fileList(const std::vector<std::string>& files) {
    std::string out;
    for (const auto& f : files) out += (out.empty() ? "" : ", ") + f;
    return out;
}

}  // namespace

LoadReport loadStateDict(torch::nn::Module& module, const std::vector<std::string>& files, const LoadOptions& options,
                         bool strict) {
    torch::NoGradGuard noGrad;
    auto report = matchStateDict(module, files, options,
                                 [](const SafeTensorsFile& file, const std::string& key, torch::Tensor& target) {
                                     // copy_ converts the dtype on the way: no temporary copy of the tensor; the file's
                                     // pages it read are dropped, so that the mapping does not add the checkpoint's
                                     // size to the peak memory.
                                     target.copy_(file.view(key).reshape(target.sizes()));
                                     file.dropPages(key);
                                 });
    if (strict && !report.ok()) throw Error(report.describe(fileList(files)));
    return report;
}

void checkStateDict(torch::nn::Module& module, const std::vector<std::string>& files, const LoadOptions& options) {
    const auto report =
        matchStateDict(module, files, options, [](const SafeTensorsFile&, const std::string&, torch::Tensor&) {});
    if (!report.ok()) throw Error(report.describe(fileList(files)));
}

std::map<std::string, torch::Tensor> stateDictTargets(torch::nn::Module& module) {
    unpackConvWeights(module);
    std::map<std::string, torch::Tensor> targets;
    for (const auto& p : module.named_parameters(true)) targets.emplace(p.key(), p.value());
    for (const auto& b : module.named_buffers(true)) targets.emplace(b.key(), b.value());
    return targets;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> stateDictShapes(const torch::nn::Module& module) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> out;
    for (const auto& p : module.named_parameters(true)) out.emplace_back(p.key(), p.value().sizes().vec());
    for (const auto& b : module.named_buffers(true)) out.emplace_back(b.key(), b.value().sizes().vec());
    return out;
}

int64_t parameterCount(const torch::nn::Module& module) {
    int64_t n = 0;
    for (const auto& p : module.parameters(true)) n += p.numel();
    return n;
}

}  // namespace diffii
