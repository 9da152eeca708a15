#include "core/diffii/inversion_pool.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include "core/data/project.h"
#include "core/diffii/pair.h"
#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"

namespace diffii {
namespace fs = std::filesystem;

namespace {

std::string exactNumber(double v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

std::string entryPath(const std::string& outDir, const PoolSource& s) {
    return (fs::path(outDir) / s.className / (s.key + ".safetensors")).string();
}

bool provenanceMatches(const SafeTensorsFile& f, const std::map<std::string, std::string>& expected) {
    const auto& meta = f.metadata();
    for (const auto& [k, v] : expected) {
        const auto it = meta.find(k);
        if (it == meta.end() || it->second != v) return false;
    }
    return f.contains("z");
}

PoolEntry entryFromFile(const PoolSource& s, const std::string& file) {
    PoolEntry e;
    e.className = s.className;
    e.key = s.key;
    e.imagePath = s.imagePath;
    e.file = file;
    const auto recon = fs::path(file).replace_extension(".recon.png");
    if (fs::exists(recon)) e.reconstruction = recon.string();
    SafeTensorsFile f(file);
    const auto it = f.metadata().find("psnr");
    if (it != f.metadata().end()) e.psnr = std::stod(it->second);
    return e;
}

// The content fingerprint of a source image, cached by (path, size, modification time): listing the pool, which
// the GUI does for every preview, then reads no image twice.
std::string sourceFingerprint(const std::string& imagePath) {
    static std::mutex mutex;
    static std::map<std::string, std::tuple<uintmax_t, fs::file_time_type, std::string>> cache;
    std::error_code ec;
    const auto size = fs::file_size(imagePath, ec);
    const auto mtime = ec ? fs::file_time_type{} : fs::last_write_time(imagePath, ec);
    if (!ec) {
        std::lock_guard<std::mutex> lock(mutex);
        const auto it = cache.find(imagePath);
        if (it != cache.end() && std::get<0>(it->second) == size && std::get<1>(it->second) == mtime)
            return std::get<2>(it->second);
    }
    auto fingerprint = fingerprintFiles({imagePath});  // throws, naming the file, when it is gone
    if (!ec) {
        std::lock_guard<std::mutex> lock(mutex);
        cache[imagePath] = {size, mtime, fingerprint};
    }
    return fingerprint;
}

}  // namespace

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
    const double mse =
        (a.to(torch::kCPU, torch::kFloat64) - b.to(torch::kCPU, torch::kFloat64)).pow(2).mean().item<double>();
    if (mse <= 0) return 99.0;
    return 10.0 * std::log10(1.0 / mse);
}

std::map<std::string, std::string> poolProvenance(const PoolSettings& settings, const std::string& prompt,
                                                  const std::string& modelHash, const std::string& conceptsHash) {
    return {{"producer", "diffii inversion pool"},
            {"prompt", prompt},
            {"steps", std::to_string(settings.steps)},
            {"guidance", exactNumber(settings.guidance)},
            {"width", std::to_string(settings.width)},
            {"height", std::to_string(settings.height)},
            {"model_hash", modelHash},
            {"concepts_hash", conceptsHash}};
}

std::vector<PoolEntry> buildInversionPool(StableDiffusion& sd, const std::vector<PoolSource>& sources,
                                          const PoolSettings& settings, const std::string& outDir,
                                          const std::string& modelHash, const std::string& conceptsHash,
                                          const JobContext* job, const std::function<void(const PoolEntry&)>& onEntry) {
    std::error_code ec;
    createFolders(outDir);
    const int64_t w = settings.width > 0 ? settings.width : sd.nativeImageSize();
    const int64_t h = settings.height > 0 ? settings.height : sd.nativeImageSize();
    std::vector<PoolEntry> out;
    int64_t done = 0;
    const auto total = static_cast<int64_t>(sources.size());
    // One count over all phases: each image is `phases` × settings.steps units (the inner stages report their own
    // step counts, mapped into the image's share), so the bar never goes back when a phase starts.
    const int64_t phases = settings.reconstruct ? 2 : 1;
    const int64_t perPhase = std::max(1, settings.steps);
    const int64_t units = total * phases * perPhase;
    int64_t reported = 0;
    auto report = [&](int64_t value, const std::string& detail) {
        reported = std::max(reported, std::min(value, units));
        if (job)
            job->report("inversion pool", reported, units,
                        std::to_string(done) + " of " + std::to_string(total) + " inverted · " + detail);
    };
    JobContext inner;
    if (job) inner.cancelFlag = job->cancelFlag;
    std::map<std::string, PromptEmbeddings> promptCache;
    for (const auto& s : sources) {
        const std::string name = s.className + "/" + s.key;
        inner.onProgress = [&](const Progress& p) {
            const int64_t phase = p.stage == "denoising" ? 1 : 0;
            const int64_t inPhase = p.total > 0 ? std::min(perPhase, p.done * perPhase / p.total) : 0;
            // An image's last unit is its own completion report (below), with the count of inverted images.
            const int64_t value =
                std::min((done * phases + phase) * perPhase + inPhase, (done + 1) * phases * perPhase - 1);
            report(value, name + (phase ? " (reconstructing " : " (inverting ") + std::to_string(p.done) + "/" +
                              std::to_string(p.total) + ")");
        };
        if (job) job->throwIfCancelled();
        const auto file = entryPath(outDir, s);
        auto provenance = poolProvenance(settings, s.prompt, modelHash, conceptsHash);
        provenance["source_fingerprint"] = sourceFingerprint(s.imagePath);
        if (fs::exists(file)) {
            try {
                SafeTensorsFile existing(file);
                if (provenanceMatches(existing, provenance)) {
                    out.push_back(entryFromFile(s, file));
                    ++done;
                    if (onEntry) onEntry(out.back());
                    report(done * phases * perPhase, name + " (kept)");
                    continue;
                }
            } catch (const Error&) {
                // A corrupt entry is rebuilt (the atomic writer never leaves one; a user's copy might).
            }
        }
        createFolders(fs::path(file).parent_path());
        auto pit = promptCache.find(s.prompt);
        if (pit == promptCache.end()) pit = promptCache.emplace(s.prompt, encodePrompts(sd, s.prompt, "")).first;
        const auto image = loadImageForModel(s.imagePath, h, w);
        const auto x0 = encodeImageToLatent(sd, image);
        InversionSettings inv;
        inv.steps = settings.steps;
        inv.guidance = settings.guidance;
        const auto z = ddimInvert(sd, x0, pit->second, inv, job ? &inner : nullptr);
        PoolEntry e;
        e.className = s.className;
        e.key = s.key;
        e.imagePath = s.imagePath;
        e.file = file;
        if (settings.reconstruct) {
            DenoiseSettings den;
            den.steps = settings.steps;
            den.guidance = settings.guidance;
            den.split = 0.0;
            const auto recon =
                decodeLatentToImage(sd, denoiseTwoStage(sd, z, pit->second, den, job ? &inner : nullptr))[0];
            e.psnr = psnr(recon, image);
            e.reconstruction = fs::path(file).replace_extension(".recon.png").string();
            saveImagePng(e.reconstruction, recon);
            provenance["psnr"] = exactNumber(e.psnr);
        }
        provenance["source"] =
            s.imagePath;  // informational: an entry is matched by content, so a moved pool stays valid
        saveSafetensors(file, {{"z", z.contiguous()}, {"x0", x0.contiguous()}}, provenance);
        out.push_back(e);
        ++done;
        if (onEntry) onEntry(out.back());
        report(done * phases * perPhase, name);
    }
    return out;
}

std::vector<PoolEntry> listInversionPool(const std::string& outDir, const std::vector<PoolSource>& sources,
                                         const PoolSettings& settings, const std::string& modelHash,
                                         const std::string& conceptsHash) {
    std::vector<PoolEntry> out;
    for (const auto& s : sources) {
        const auto file = entryPath(outDir, s);
        if (!fs::exists(file)) continue;
        try {
            auto provenance = poolProvenance(settings, s.prompt, modelHash, conceptsHash);
            provenance["source_fingerprint"] = sourceFingerprint(s.imagePath);  // a missing image: stale
            SafeTensorsFile f(file);
            auto e = entryFromFile(s, file);
            e.stale = !provenanceMatches(f, provenance);
            out.push_back(e);
        } catch (const Error&) {
            PoolEntry e;
            e.className = s.className;
            e.key = s.key;
            e.imagePath = s.imagePath;
            e.file = file;
            e.stale = true;
            out.push_back(e);
        }
    }
    return out;
}

torch::Tensor loadInversion(const std::string& entryFile) {
    SafeTensorsFile f(entryFile);
    if (!f.contains("z")) throw Error(entryFile + ": not an inversion pool entry (no tensor 'z')");
    return f.tensor("z").to(torch::kFloat32);
}

}  // namespace diffii
