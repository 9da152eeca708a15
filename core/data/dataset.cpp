#include "core/data/dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/io/error.h"
#include "core/io/image.h"
#include "core/io/image_probe.h"
#include "core/jobs/progress.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

bool isHidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

const char* const kNotAnImage = "-";

// Why a class folder's entry is not read as an image ("" when it is one; kNotAnImage for files that are not images
// at all, such as captions, which are ignored without a word). Reads at most the file's header (probeImageFile).
std::string skipReason(const fs::path& path, const std::string& name) {
    std::error_code ec;
    const auto st = fs::status(path, ec);  // follows symlinks: a loop or a dangling link is an error here
    if (ec) return "cannot follow: " + ec.message();
    if (fs::is_directory(st)) return "a folder inside a class folder is not read";
    const auto dot = name.rfind('.');
    const std::string ext = dot == std::string::npos ? std::string() : lower(name.substr(dot + 1));
    if (!ImageFolderDataset::isImageFileName(name)) {
        static const char* unsupported[] = {"gif", "tif", "tiff", "svg", "heic", "heif", "avif", "ico",
                                            "jxl", "ppm", "pgm",  "pbm", "pnm",  "jp2",  "raw",  "dng"};
        for (const char* u : unsupported)
            if (ext == u) return "unsupported image format (." + ext + "); convert it to png, jpeg, bmp or webp";
        return kNotAnImage;
    }
    if (!fs::is_regular_file(st)) return "not a regular file";
    if (::access(path.c_str(), R_OK) != 0) return std::string("unreadable: ") + std::strerror(errno);
    try {
        const auto probe = probeImageFile(path.string());
        if (!probe.problem.empty()) return probe.problem;
        if (!probe.supported)
            return "unsupported image format" + (probe.format.empty() ? std::string() : " (" + probe.format + ")");
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

}  // namespace

bool ImageFolderDataset::isImageFileName(const std::string& fileName) {
    if (isHidden(fileName)) return false;
    const auto dot = fileName.rfind('.');
    if (dot == std::string::npos || dot == 0) return false;
    const std::string ext = lower(fileName.substr(dot + 1));
    return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "bmp" || ext == "webp";
}

ImageFolderDataset::ImageFolderDataset(const std::string& root) {
    std::error_code ec;
    if (root.empty() || !fs::is_directory(root, ec))
        throw Error(root + ": dataset folder does not exist or is not a folder (expected one subfolder per class)");
    m_root = fs::absolute(root).lexically_normal().generic_string();
    while (m_root.size() > 1 && m_root.back() == '/') m_root.pop_back();

    std::vector<std::string> classNames;
    for (fs::directory_iterator it(m_root, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code dirEc;
        if (!isHidden(name) && it->is_directory(dirEc)) classNames.push_back(name);
    }
    if (ec) throw Error(m_root + ": cannot list the dataset folder: " + ec.message());
    std::sort(classNames.begin(), classNames.end());

    for (const auto& name : classNames) {
        const std::string classDir = m_root + "/" + name;
        std::vector<std::string> files;
        std::error_code listEc;
        for (fs::directory_iterator it(classDir, listEc), end; !listEc && it != end; it.increment(listEc)) {
            const std::string file = it->path().filename().string();
            if (isHidden(file)) continue;
            const auto reason = skipReason(it->path(), file);
            if (reason.empty())
                files.push_back(file);
            else if (reason != kNotAnImage)
                m_skipped.push_back({classDir + "/" + file, reason});
        }
        if (listEc) throw Error(classDir + ": cannot list the class folder: " + listEc.message());
        std::sort(files.begin(), files.end());
        if (files.empty()) {
            m_emptyClasses.push_back(name);
            m_warnings.push_back("class '" + name + "' (" + classDir + ") has no images and is left out");
            continue;
        }
        ImageClass cls;
        cls.name = name;
        cls.images.reserve(files.size());
        for (const auto& f : files) cls.images.push_back(classDir + "/" + f);
        if (cls.images.size() == 1)
            m_warnings.push_back("class '" + name + "' has a single image; Diff-II pairs it with Gaussian noise");
        m_classes.push_back(std::move(cls));
    }
    std::sort(m_skipped.begin(), m_skipped.end(),
              [](const ImageFailure& a, const ImageFailure& b) { return a.path < b.path; });
    for (const auto& f : m_skipped) m_warnings.push_back("skipped " + f.path + ": " + f.message);
    if (m_classes.empty())
        throw Error(m_root +
                    ": dataset folder has no images (expected subfolders per class holding jpg, jpeg, "
                    "png, bmp or webp files; found " +
                    std::to_string(classNames.size()) + " subfolders and 0 images)");
}

int64_t ImageFolderDataset::imageCount() const {
    int64_t n = 0;
    for (const auto& c : m_classes) n += static_cast<int64_t>(c.images.size());
    return n;
}

int ImageFolderDataset::classIndex(const std::string& name) const {
    for (size_t i = 0; i < m_classes.size(); ++i)
        if (m_classes[i].name == name) return static_cast<int>(i);
    return -1;
}

std::vector<int> ImageFolderDataset::singleImageClasses() const {
    std::vector<int> out;
    for (size_t i = 0; i < m_classes.size(); ++i)
        if (m_classes[i].images.size() == 1) out.push_back(static_cast<int>(i));
    return out;
}

std::vector<ImageFailure> ImageFolderDataset::validate(const JobContext* job) const {
    return validate(job, ImageLoadOptions{});
}

std::vector<ImageFailure> ImageFolderDataset::validate(const JobContext* job, const ImageLoadOptions& options) const {
    std::vector<ImageFailure> failures;
    const int64_t total = imageCount();
    int64_t done = 0;
    for (const auto& cls : m_classes) {
        for (const auto& path : cls.images) {
            if (job) {
                job->throwIfCancelled();
                job->report("validate", done, total, path);
            }
            try {
                (void)loadImageRgb(path, options);
            } catch (const Error& e) {
                failures.push_back({path, e.what()});
            } catch (const std::exception& e) {
                // OpenCV or LibTorch errors that escaped the loader still belong to this file.
                failures.push_back({path, path + ": " + e.what()});
            }
            ++done;
        }
    }
    if (job) job->report("validate", done, total);
    return failures;
}

}  // namespace diffii
