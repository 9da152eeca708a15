#include "core/data/project_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
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
    bool shared = false;  // taken by shards (LOCK_SH)
};

std::mutex& registryMutex() {
    static std::mutex m;
    return m;
}

std::map<std::string, Held>& registry() {
    static std::map<std::string, Held> r;
    return r;
}

std::map<std::string, Held>& shardRegistry() {  // the shard lock files this process holds
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

// The holder's details as written by the holder ("" when none are written), for the message of a refused writer.
std::string holderDetails(int fd) {
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
        return {};
    }
}

// The details of the shards that hold their lock files under projectDir/.diffii-lock.d now.
std::vector<std::string> runningShards(const std::string& projectDir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(projectDir) / ProjectLock::kShardFolder, ec)) {
        const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
            ::flock(fd, LOCK_UN);  // nobody holds it
        } else {
            const auto who = holderDetails(fd);
            out.push_back(e.path().filename().string() + ": " + (who.empty() ? "details not written yet" : who));
        }
        ::close(fd);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string describeHolder(int fd, const std::string& projectDir) {
    const auto who = holderDetails(fd);
    if (!who.empty()) return who;
    const auto shards = runningShards(projectDir);
    if (shards.empty()) return "another process (its details are not written yet)";
    std::string text =
        std::to_string(shards.size()) + " shard" + (shards.size() == 1 ? "" : "s") + " of a sharded generation (";
    for (size_t i = 0; i < shards.size(); ++i) text += (i ? "; " : "") + shards[i];
    return text + ")";
}

void writeDetails(int fd, const std::string& what) {
    const nlohmann::json holder = {{"pid", static_cast<long long>(::getpid())},
                                   {"command", currentCommandLine()},
                                   {"job", what},
                                   {"started", nowText()}};
    const auto text = holder.dump() + "\n";
    if (::ftruncate(fd, 0) == 0) {
        ::lseek(fd, 0, SEEK_SET);
        (void)!::write(fd, text.data(), text.size());
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
    acquire(projectDir, what, false);
}

ProjectLock::ProjectLock(const std::string& projectDir, const std::string& what, const std::string& setName,
                         int shardIndex, int shardCount)
    : m_key(lockKey(projectDir)) {
    acquire(projectDir, what, true);
    const fs::path folder = fs::path(m_key) / kShardFolder;
    m_shardKey = (folder / (setName + "." + std::to_string(shardIndex) + "-of-" + std::to_string(shardCount))).string();
    std::lock_guard<std::mutex> guard(registryMutex());
    auto& held = shardRegistry()[m_shardKey];
    if (held.depth > 0) {
        ++held.depth;
        return;
    }
    std::error_code ec;
    fs::create_directories(folder, ec);
    const int fd = ::open(m_shardKey.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    std::string refusal;
    if (fd < 0) {
        refusal = m_shardKey + ": cannot open the shard's lock file: " + std::strerror(errno);
    } else if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const auto who = holderDetails(fd);
        refusal = m_key + ": shard " + std::to_string(shardIndex) + "/" + std::to_string(shardCount) + " of " +
                  setName + " is being generated by " + (who.empty() ? std::string("another process") : who) +
                  "; a shard runs once at a time";
        ::close(fd);
    }
    if (!refusal.empty()) {
        shardRegistry().erase(m_shardKey);
        m_shardKey.clear();
        auto& project = registry()[m_key];
        if (--project.depth == 0) {
            ::flock(project.fd, LOCK_UN);
            ::close(project.fd);
            registry().erase(m_key);
        }
        throw Error(refusal);
    }
    writeDetails(fd, what + " shard " + std::to_string(shardIndex) + "/" + std::to_string(shardCount));
    held.fd = fd;
    held.depth = 1;
}

void ProjectLock::acquire(const std::string& projectDir, const std::string& what, bool shared) {
    std::lock_guard<std::mutex> guard(registryMutex());
    auto& held = registry()[m_key];
    if (held.depth > 0) {
        if (!shared && held.shared)
            throw Error(m_key + ": '" + what +
                        "' needs the project alone, but this process is generating a shard of it (shards share it)");
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
    if (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        const int err = errno;
        const auto holder = err == EWOULDBLOCK ? describeHolder(fd, m_key) : std::string(std::strerror(err));
        ::close(fd);
        registry().erase(m_key);
        throw Error(m_key + ": the project is being written by " + holder + "; '" + what + "' needs it" +
                    (shared ? std::string(" (shared with the other shards only)") : std::string(" alone")) +
                    ": wait for that job to finish or stop it (read-only views keep working)");
    }
    held.fd = fd;
    held.depth = 1;
    held.shared = shared;
    if (shared) return;  // the shards' details are in their own lock files; the others' temporaries are theirs
    writeDetails(fd, what);
    // Nobody else writes into the project now: the temporary files of earlier runs are leftovers.
    removeStaleTemporaries(m_key, false);
}

ProjectLock::~ProjectLock() {
    std::lock_guard<std::mutex> guard(registryMutex());
    if (!m_shardKey.empty()) {
        auto it = shardRegistry().find(m_shardKey);
        if (it != shardRegistry().end() && --it->second.depth == 0) {
            if (::ftruncate(it->second.fd, 0) != 0) {
                // the details stay; the next holder overwrites them
            }
            ::flock(it->second.fd, LOCK_UN);
            ::close(it->second.fd);
            shardRegistry().erase(it);
        }
    }
    auto it = registry().find(m_key);
    if (it == registry().end() || --it->second.depth > 0) return;
    if (!it->second.shared && ::ftruncate(it->second.fd, 0) != 0) {
        // the details stay; the next holder overwrites them
    }
    ::flock(it->second.fd, LOCK_UN);
    ::close(it->second.fd);
    registry().erase(it);
}

FileLock::FileLock(const std::string& path) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0) throw Error(path + ": cannot open the lock file: " + std::strerror(errno));
    while (::flock(m_fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(m_fd);
        throw Error(path + ": cannot lock: " + std::strerror(err));
    }
}

FileLock::~FileLock() {
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
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
