#include "core/data/project_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/jobs/log.h"

namespace fs = std::filesystem;

namespace diffii {

namespace {

struct Held {
    int fd = -1;
    int depth = 0;
};

std::mutex& registryMutex() {
    static std::mutex m;
    return m;
}

std::map<std::string, Held>& registry() {
    static std::map<std::string, Held> r;
    return r;
}

std::string lockKey(const std::string& projectDir) {
    std::error_code ec;
    auto p = fs::weakly_canonical(fs::absolute(projectDir), ec);
    if (ec) p = fs::absolute(projectDir).lexically_normal();
    return p.string();
}

std::string nowText() {
    const std::time_t t = std::time(nullptr);
    char buf[64];
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

// The holder's details as written by the holder, for the message of a refused writer.
std::string describeHolder(int fd) {
    std::string text;
    char buf[4096];
    ::lseek(fd, 0, SEEK_SET);
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) text.assign(buf, static_cast<size_t>(n));
    try {
        const auto j = nlohmann::json::parse(text);
        return "PID " + std::to_string(j.value("pid", 0LL)) + " (" + j.value("command", std::string("?")) +
               ", running '" + j.value("job", std::string("?")) + "' since " + j.value("started", std::string("?")) +
               ")";
    } catch (const std::exception&) {
        return "another process (its details are not written yet)";
    }
}

bool processAlive(long pid) {
    if (pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

std::string currentCommandLine() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), {});
    std::string out;
    size_t start = 0;
    bool first = true;
    while (start < raw.size()) {
        size_t end = raw.find('\0', start);
        if (end == std::string::npos) end = raw.size();
        std::string arg = raw.substr(start, end - start);
        if (first) arg = fs::path(arg).filename().string();
        if (!out.empty()) out += ' ';
        out += arg.find(' ') == std::string::npos ? arg : "'" + arg + "'";
        first = false;
        start = end + 1;
    }
    if (out.size() > 300) out = out.substr(0, 300) + "...";
    return out.empty() ? std::string("?") : out;
}

ProjectLock::ProjectLock(const std::string& projectDir, const std::string& what) : m_key(lockKey(projectDir)) {
    std::lock_guard<std::mutex> guard(registryMutex());
    auto& held = registry()[m_key];
    if (held.depth > 0) {
        ++held.depth;
        return;
    }
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(m_key) / "project.json", ec)) {
        registry().erase(m_key);
        throw Error(projectDir + ": not a project folder (no project.json)");
    }
    const auto file = (fs::path(m_key) / kFileName).string();
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        registry().erase(m_key);
        throw Error(file + ": cannot open the project's lock file: " + std::strerror(errno) +
                    " (is the project folder writable?)");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const auto holder = err == EWOULDBLOCK ? describeHolder(fd) : std::string(std::strerror(err));
        ::close(fd);
        registry().erase(m_key);
        throw Error(m_key + ": the project is being written by " + holder + "; '" + what +
                    "' needs it alone: wait for that job to finish or stop it (read-only views keep working)");
    }
    const nlohmann::json holder = {{"pid", static_cast<long long>(::getpid())},
                                   {"command", currentCommandLine()},
                                   {"job", what},
                                   {"started", nowText()}};
    const auto text = holder.dump() + "\n";
    if (::ftruncate(fd, 0) == 0) {
        ::lseek(fd, 0, SEEK_SET);
        (void)!::write(fd, text.data(), text.size());
    }
    held.fd = fd;
    held.depth = 1;
    // Nobody else writes into the project now: the temporary files of earlier runs are leftovers.
    removeStaleTemporaries(m_key, false);
}

ProjectLock::~ProjectLock() {
    std::lock_guard<std::mutex> guard(registryMutex());
    auto it = registry().find(m_key);
    if (it == registry().end() || --it->second.depth > 0) return;
    if (::ftruncate(it->second.fd, 0) != 0) {
        // the details stay; the next holder overwrites them
    }
    ::flock(it->second.fd, LOCK_UN);
    ::close(it->second.fd);
    registry().erase(it);
}

std::vector<std::string> removeStaleTemporaries(const std::string& dir, bool ownedByDeadOnly) {
    static const std::regex pattern(R"(.+\.tmp\.([0-9]+)\.[0-9]+)");
    std::vector<std::string> removed;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return removed;
    const long self = static_cast<long>(::getpid());
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code fileEc;
        if (!it->is_regular_file(fileEc) || it->is_symlink(fileEc)) continue;
        const auto name = it->path().filename().string();
        std::smatch m;
        if (!std::regex_match(name, m, pattern)) continue;
        long pid = 0;
        try {
            pid = std::stol(m[1].str());
        } catch (const std::exception&) {
            continue;
        }
        if (pid == self) continue;
        if (ownedByDeadOnly && processAlive(pid)) continue;
        if (fs::remove(it->path(), fileEc)) {
            removed.push_back(it->path().string());
            logInfo("removed " + it->path().string() + ", a temporary file left by an interrupted run (process " +
                    std::to_string(pid) + ")");
        }
    }
    return removed;
}

}  // namespace diffii
