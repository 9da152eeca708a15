// Scale-out on a Slurm cluster: the synthetic set's generation as a job array, one shard per array task
// (`diffii generate PROJECT --shard i/N`, core/data/synthetic_manifest.h inShard), with the run's records in the
// project so that its state survives the scheduler forgetting the job:
//   runs/slurm/<job id>/job.sh         the job script as submitted (resubmit shards by hand from it)
//   runs/slurm/<job id>/run.json       the run: shard count, the planned images in plan order, the submissions
//   runs/slurm/<job id>/shard-<i>.json what task i wrote about itself (running, done, failed, cancelled; exit code)
//   runs/slurm/logs/<job>_<task>.log   the tasks' output
//   runs/slurm/latest                  the id of the latest run (what status, resume and export look at)
// The run's id is the job id of its first submission; a resume submits the incomplete shards again as a new array
// of the same run. LibTorch-free; the plan comes from the engine (ProjectSession::slurmPlan), the scheduler is
// driven through its commands (sbatch, squeue, scontrol, sacct), found on PATH.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/data/synthetic_manifest.h"

namespace diffii {

// What `diffii slurm submit` passes to sbatch (each as an #SBATCH line of the job script; "" / 0: not given, the
// cluster's default).
struct SlurmSubmitOptions {
    int shards = 4;
    std::string partition, time, mem, gres, account;
    int cpusPerTask = 0;                 // 0: by the model (defaultTaskCpus, core/jobs/threads.h)
    std::vector<std::string> extraArgs;  // further sbatch options, as given
    std::string diffiiBinary;            // "": the diffii beside the running executable
    std::string sbatch;                  // "": sbatch on PATH
};

// The set a cluster run generates, from the engine: the images in plan order (paths relative to synthetic/) and
// the size of the model (for the default CPUs per task).
struct SlurmPlan {
    std::string projectDir;
    std::string syntheticDir;
    std::vector<std::string> outputs;
    int64_t unetParameters = 0;
};

enum class ShardState { Pending, Running, Done, Failed, Cancelled };
const char* shardStateName(ShardState state);  // "pending", "running", "done", "failed", "cancelled"

struct SlurmShardStatus {
    int shard = 0;
    ShardState state = ShardState::Pending;
    int64_t done = 0;      // its planned images present in synthetic/ (PNG and record)
    int64_t planned = 0;   // its share of the plan
    std::string exitCode;  // "exit:signal" as Slurm writes it ("0:0", "0:15"); "" when not known yet
    std::string jobId;     // the array task that runs or ran it ("123_2")
    std::string source;    // where the state comes from: scontrol, sacct, jobcomp, record, files
    std::string detail;    // the record's error message, or why the state was inferred
    std::string log;       // the task's output file
};

struct SlurmRunStatus {
    std::string runId;   // the job id of the first submission
    std::string runDir;  // runs/slurm/<runId>
    int shards = 0;
    std::vector<std::string> jobIds;  // the submissions, first to last
    std::vector<SlurmShardStatus> shardStates;

    bool finished() const;                // no shard pending or running
    bool complete() const;                // every shard done
    std::vector<int> incomplete() const;  // shards not done and not pending or running: what a resume submits
};

// A Slurm command ("sbatch", "squeue", ...) on PATH, as an absolute path. Throws diffii::Error naming the command
// and PATH, and what to install, when it is not there.
std::string findSlurmCommand(const std::string& name);

// The project's latest run (runs/slurm/latest), "" when it has none.
std::string latestSlurmRun(const std::string& projectDir);

// Submits plan as an array of options.shards tasks: writes the job script, runs sbatch --array=0-(N-1), records
// the run. Throws diffii::Error before anything is submitted when sbatch is missing or the options are bad, and with
// sbatch's own message when it rejects the submission (then no run is recorded).
SlurmRunStatus submitSlurmRun(const SlurmPlan& plan, const SlurmSubmitOptions& options);

// The latest run's shards as Slurm (scontrol, sacct where accounting exists, the jobcomp/filetxt file where it is
// readable) and the shard records tell, with the images done counted on disk. Throws diffii::Error when the
// project has no run.
SlurmRunStatus slurmRunStatus(const std::string& projectDir);

// Resubmits the latest run's shards that are neither done nor pending or running, as one array of the same run.
// plan must equal the run's (else the project changed since: an error asks for a new submit). Throws when nothing
// is left to resume.
SlurmRunStatus resumeSlurmRun(const SlurmPlan& plan, const std::string& sbatch = {});

// `diffii generate --shard slurm`: the shard of this array task: $SLURM_ARRAY_TASK_ID − $SLURM_ARRAY_TASK_MIN of
// $SLURM_ARRAY_TASK_COUNT. Throws diffii::Error naming the variable that is missing or malformed.
Shard shardFromSlurmEnvironment();

// Runs generate() (one shard's generation) and, inside an array task of a run ($DIFFII_SLURM_RUN, set by the job
// script), keeps the shard's record runs/slurm/<run>/shard-<i>.json: running, then done, failed (with the error)
// or cancelled, with the exit code the process ends with. Rethrows what generate() throws.
void recordSlurmShard(const std::string& projectDir, const Shard& shard, const std::function<void()>& generate);

// Before an export: when the project has a cluster run, every image of its plan must be in synthetic/ (an Error
// names each incomplete shard and what to run), and the set's manifest is rebuilt when it lacks any of them (a
// task killed between its last image and its manifest rewrite). Nothing happens without a run.
void checkClusterRunComplete(const std::string& projectDir);

}  // namespace diffii
