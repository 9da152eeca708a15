#include "core/io/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/io/error.h"

namespace diffii {
namespace {

std::string kindOf(mode_t mode) {
    if (S_ISDIR(mode)) return "is a directory";
    if (S_ISFIFO(mode)) return "is a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "is a socket";
    if (S_ISCHR(mode)) return "is a character device";
    if (S_ISBLK(mode)) return "is a block device";
    return "is not a regular file";
}

}  // namespace

int openRegularFile(const std::string& path, const char* what, uint64_t* sizeOut) {
    struct stat st {};
    // stat first: a directory or FIFO is named as such before open() is even tried.
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT) throw Error(path + ": cannot open " + what + ": it does not exist");
        throw Error(path + ": cannot open " + what + ": " + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) throw Error(path + ": cannot open " + what + ": " + kindOf(st.st_mode));
    // O_NONBLOCK: if the path was swapped for a FIFO since the stat, open() still returns at once.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        throw Error(path + ": cannot open " + what + ": " + std::strerror(err));
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const std::string why = S_ISREG(st.st_mode) ? std::strerror(errno) : kindOf(st.st_mode);
        ::close(fd);
        throw Error(path + ": cannot open " + what + ": " + why);
    }
    // Back to blocking reads for the regular file.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if (sizeOut) *sizeOut = static_cast<uint64_t>(st.st_size);
    return fd;
}

std::string readFileBytes(int fd, const std::string& path, uint64_t offset, size_t count) {
    std::string out(count, '\0');
    size_t done = 0;
    while (done < count) {
        const ssize_t n = ::pread(fd, &out[done], count - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(path + ": read failed: " + std::strerror(errno));
        }
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    out.resize(done);
    return out;
}

void createFolders(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(path, ec);
    std::error_code isDirEc;
    if (!ec && fs::is_directory(path, isDirEc)) return;
    const fs::path absolute = fs::absolute(path, isDirEc);
    for (fs::path a = absolute; !a.empty(); a = a.parent_path()) {
        std::error_code e;
        if (fs::exists(a, e) && !fs::is_directory(a, e))
            throw Error(path.string() + ": cannot create the folder: " + a.string() + " is a file, not a folder");
        if (a == a.parent_path()) break;
    }
    throw Error(path.string() + ": cannot create the folder: " + (ec ? ec.message() : std::string("not a folder")));
}

std::filesystem::path canonicalPath(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto p = fs::weakly_canonical(fs::absolute(path), ec);
    if (ec) p = fs::absolute(path).lexically_normal();
    auto s = p.generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return fs::path(s);
}

bool pathsNest(const std::filesystem::path& a, const std::filesystem::path& b) {
    const std::string x = canonicalPath(a).generic_string(), y = canonicalPath(b).generic_string();
    const auto within = [](const std::string& inner, const std::string& outer) {
        return inner == outer || (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
                                  inner[outer.size()] == '/');
    };
    return within(x, y) || within(y, x);
}

void requireOutside(const std::filesystem::path& target, const std::filesystem::path& work, const std::string& what) {
    if (pathsNest(target, work))
        throw Error(target.string() + ": " + what + " may not be written into the work folder " + work.string() +
                    " or a folder that holds it (it replaces its target)");
}

std::string readSmallFile(const std::string& path, const char* what, uint64_t maxBytes) {
    uint64_t size = 0;
    const int fd = openRegularFile(path, what, &size);
    if (size > maxBytes) {
        ::close(fd);
        throw Error(path + ": cannot read " + what + ": " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(maxBytes) + " such a file may have");
    }
    try {
        auto text = readFileBytes(fd, path, 0, static_cast<size_t>(size));
        ::close(fd);
        return text;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

std::string boundedText(const std::string& text, size_t maxBytes) {
    std::string out;
    size_t shown = text.size() <= maxBytes ? text.size() : maxBytes;
    // Cut at a character boundary so the message stays valid UTF-8.
    while (shown < text.size() && shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xc0) == 0x80) --shown;
    for (size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    if (shown < text.size()) out += "…(" + std::to_string(text.size()) + " bytes)";
    return out;
}

std::string boundedQuote(const std::string& text, size_t maxBytes) { return "'" + boundedText(text, maxBytes) + "'"; }

}  // namespace diffii
