// Opening input files safely: only regular files are read. A FIFO in place of a weights file used to block
// open() forever, and a directory gave an unhelpful mmap error; both are refused here with a message naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace diffii {

// Opens path read-only (O_NONBLOCK | O_CLOEXEC, so a FIFO cannot block) and returns the descriptor after checking
// that it is a regular file; sizeOut receives its size. `what` names the kind of file in messages ("safetensors
// file", "image"). Throws diffii::Error naming the path (missing, a directory, a FIFO or device, unreadable).
int openRegularFile(const std::string& path, const char* what, uint64_t* sizeOut = nullptr);

// Reads up to `count` bytes from offset `offset` (fewer at the end of the file). Throws diffii::Error naming path.
std::string readFileBytes(int fd, const std::string& path, uint64_t offset, size_t count);

// Creates a folder and its missing parents (nothing when it is there). Throws diffii::Error naming the path and why:
// the part of it that is a file, not a folder, or the system's reason (permission, a full disk, a read-only file
// system). Every folder the engine creates goes through here: std::filesystem's own exception read as
// "filesystem error: cannot create directories: Not a directory [...]".
void createFolders(const std::filesystem::path& path);

// The path made absolute, with links and "." / ".." resolved as far as it exists, without a trailing '/'.
std::filesystem::path canonicalPath(const std::filesystem::path& path);

// Whether a and b (canonicalPath'd) are the same folder or one lies inside the other. The root holds every path but
// is not counted here: the callers refuse it by their own rules (a system folder, a folder of other files).
bool pathsNest(const std::filesystem::path& a, const std::filesystem::path& b);

// An export's target may not be `work` (a job's work folder), a path inside it, or a folder that holds it: an export
// replaces its target, and pretrain --export W used to erase the work folder. Throws diffii::Error naming both.
void requireOutside(const std::filesystem::path& target, const std::filesystem::path& work, const std::string& what);

// The whole of a small regular file (a list the user names: suffixes, captions; a JSON file, unbounded), through
// openRegularFile: a folder, FIFO or missing path is refused by name, as is a file over maxBytes (named with its
// size).
std::string readSmallFile(const std::string& path, const char* what, uint64_t maxBytes = uint64_t(64) << 20);

// Text for a message, bounded: at most maxBytes are echoed (cut at a character boundary), the rest summarised as
// "…(N bytes)", and control characters are escaped, so that a 20 MB tensor name or a binary key cannot flood a
// terminal. boundedQuote puts it in single quotes.
std::string boundedText(const std::string& text, size_t maxBytes = 120);
std::string boundedQuote(const std::string& text, size_t maxBytes = 120);

}  // namespace diffii
