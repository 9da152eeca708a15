// A labelled image dataset in the ImageFolder layout (torchvision's): one subfolder per class under a root.
// The metaclass word ("bird") belongs to the project, not to the dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace diffii {

class JobContext;
struct ImageLoadOptions;

struct ImageClass {
    std::string name;                 // the folder name
    std::vector<std::string> images;  // full paths (root/name/file), sorted by file name
};

struct ImageFailure {
    std::string path;     // full path of the image that did not decode
    std::string message;  // the loader's error
};

class ImageFolderDataset {
public:
    // Scans root: subfolders sorted by name (byte order), files with the extensions jpg, jpeg, png, bmp, webp in any
    // letter case, sorted; hidden entries (a leading '.') and other files are ignored. Folders with no images are
    // left out of classes() (so class indices are dense and every class can be trained on) and named in
    // warnings(). Throws diffii::Error naming the folder when it does not exist or holds no image at all.
    explicit ImageFolderDataset(const std::string& root);

    const std::string& root() const { return m_root; }  // absolute, normalised, without a trailing '/'
    const std::vector<ImageClass>& classes() const { return m_classes; }
    int classCount() const { return static_cast<int>(m_classes.size()); }
    int64_t imageCount() const;
    // -1 when there is no (non-empty) class of that name.
    int classIndex(const std::string& name) const;

    // Class folders without images (left out of classes()).
    const std::vector<std::string>& emptyClasses() const { return m_emptyClasses; }
    // Indices of the classes with exactly one image: Diff-II has no second image to interpolate with and falls
    // back to Gaussian noise for them.
    std::vector<int> singleImageClasses() const;
    // Files of class folders that are left out, each with its reason, found by the scan all at once: unsupported
    // image formats (GIF, TIFF, ...), unreadable files, broken or oversized image headers (probeImageFile: the
    // header only, nothing is decoded), dangling links and symlink loops, folders inside class folders. Files that
    // are not images at all (captions, ...) and hidden entries are ignored without a word.
    const std::vector<ImageFailure>& skipped() const { return m_skipped; }
    // Human-readable notes on empty and one-image classes and on each skipped file, for the GUI and the CLI.
    const std::vector<std::string>& warnings() const { return m_warnings; }

    // Decodes every image with loadImageRgb and returns the failures (empty when all decode) instead of stopping
    // at the first one. Reports progress as stage "validate" and honours cancellation when job is given.
    std::vector<ImageFailure> validate(const JobContext* job = nullptr) const;
    std::vector<ImageFailure> validate(const JobContext* job, const ImageLoadOptions& options) const;

    // Whether a file name has one of the accepted image extensions (case-insensitive) and is not hidden.
    static bool isImageFileName(const std::string& fileName);

private:
    std::string m_root;
    std::vector<ImageClass> m_classes;
    std::vector<std::string> m_emptyClasses;
    std::vector<std::string> m_warnings;
    std::vector<ImageFailure> m_skipped;
};

}  // namespace diffii
