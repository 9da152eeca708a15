// One writer per project: an advisory lock (flock) on <project>/.diffii-lock, held by every job that writes into the
// project — the CLI's train, pool, generate, split, suffixes, export and evaluate, and the same jobs of the GUI (they
// run through ProjectSession, which takes it). A second writer gets an Error naming the holder's PID, its command
// line and when it started; read-only views (opening a project, listing the pool, the preview) take no lock. The
// kernel releases a flock when its process dies, so a dead holder's lock is taken over without any cleanup; the
// holder's details in the file are then overwritten.
//
// Within one process the lock is re-entrant (a job inside another job of the same process, such as the evaluation
// generating its sets): it is taken once per process and released when the last holder goes.
//
// Taking the lock also removes the temporary files of dead runs (removeStaleTemporaries): with the lock held no other
// process writes into the project.
//
// Shards of one generation (`diffii generate --shard i/N`, the tasks of a Slurm array) run at once on one project:
// each takes the project lock shared (so every other writer is refused while any shard runs, and a shard is refused
// while another job holds the project alone) and its own shard lock exclusively (.diffii-lock.d/<set>.<i>-of-<N>,
// holding its details), so the same shard cannot run twice. Each shard writes only its own images; the files the
// shards share (the set's manifest) are rewritten under FileLock, one shard at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace diffii {

class ProjectLock {
public:
    // Takes the lock of projectDir for `what` (e.g. "generate"), or throws diffii::Error naming the holder.
    explicit ProjectLock(const std::string& projectDir, const std::string& what);
    // A shard's lock (see above): setName names the set (e.g. "synthetic"). Throws diffii::Error naming the holder
    // when another job holds the project alone, or when shard i/N of the set is running already.
    ProjectLock(const std::string& projectDir, const std::string& what, const std::string& setName, int shardIndex,
                int shardCount);
    ~ProjectLock();
    ProjectLock(const ProjectLock&) = delete;
    ProjectLock& operator=(const ProjectLock&) = delete;

    static constexpr const char* kFileName = ".diffii-lock";

    static constexpr const char* kShardFolder = ".diffii-lock.d";

private:
    void acquire(const std::string& projectDir, const std::string& what, bool shared);
    std::string m_key;
    std::string m_shardKey;  // the shard lock's file ("" for the project-wide lock)
};

// A blocking exclusive flock on a file (created when missing), for a short section that several processes must run
// one at a time (the shards' manifest rewrite). Throws diffii::Error naming the file when it cannot be opened.
class FileLock {
public:
    explicit FileLock(const std::string& path);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int m_fd = -1;
};

// The process's command line as one line ("diffii generate P --expansion 5"), for lock and export markers.
std::string currentCommandLine();

// Removes the temporary files of writeFileAtomic/saveSafetensors (NAME.tmp.<pid>.<n>) under dir whose process is
// no longer alive (or, when ownedByDeadOnly is false, every such file not of this process: the caller holds the
// project lock, so no other process writes there). Returns the removed paths. Only that pattern, only under dir.
std::vector<std::string> removeStaleTemporaries(const std::string& dir, bool ownedByDeadOnly = true);

}  // namespace diffii
