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
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace diffii {

class ProjectLock {
public:
    // Takes the lock of projectDir for `what` (e.g. "generate"), or throws diffii::Error naming the holder.
    explicit ProjectLock(const std::string& projectDir, const std::string& what);
    ~ProjectLock();
    ProjectLock(const ProjectLock&) = delete;
    ProjectLock& operator=(const ProjectLock&) = delete;

    static constexpr const char* kFileName = ".diffii-lock";

private:
    std::string m_key;
};

// The process's command line as one line ("diffii generate P --expansion 5"), for lock and export markers.
std::string currentCommandLine();

// Removes the temporary files of writeFileAtomic/saveSafetensors (NAME.tmp.<pid>.<n>) under dir whose process is
// no longer alive (or, when ownedByDeadOnly is false, every such file not of this process: the caller holds the
// project lock, so no other process writes there). Returns the removed paths. Only that pattern, only under dir.
std::vector<std::string> removeStaleTemporaries(const std::string& dir, bool ownedByDeadOnly = true);

}  // namespace diffii
