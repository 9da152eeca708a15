#include "core/jobs/slurm.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/data/project.h"
#include "core/data/project_lock.h"
#include "core/diffii/generator.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/io/regular_file.h"
#include "core/io/safetensors.h"
#include "core/jobs/progress.h"
#include "core/jobs/threads.h"

extern char** environ;

namespace diffii {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRunsFolder = "runs/slurm";
constexpr const char* kLatestFile = "latest";
constexpr const char* kRunFile = "run.json";
constexpr const char* kScriptFile = "job.sh";
constexpr int kCommandTimeoutSeconds = 60;

struct CommandResult {
    int code = -1;  // exit status; 128 + signal when killed
    std::string out, err;
};

// Runs argv[0] (a path) with argv, stdout and stderr captured, stdin from /dev/null; ends it after the timeout.
CommandResult runCommand(const std::vector<std::string>& argv) {
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0) throw Error(argv[0] + ": cannot run: " + std::strerror(errno));
    if (::pipe2(errPipe, O_CLOEXEC) != 0) {
        ::close(outPipe[0]);
        ::close(outPipe[1]);
        throw Error(argv[0] + ": cannot run: " + std::strerror(errno));
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw Error(argv[0] + ": cannot run: " + std::strerror(errno));
    if (pid == 0) {
        const int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::dup2(outPipe[1], 1);
        ::dup2(errPipe[1], 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    CommandResult r;
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    int open = 2;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kCommandTimeoutSeconds);
    bool timedOut = false;
    while (open > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            timedOut = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (timedOut) r.err += "\n(no answer within " + std::to_string(kCommandTimeoutSeconds) + " s; stopped)";
    return r;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

// The text of a command's failure on one line: its stderr (else stdout), trimmed.
std::string messageOf(const CommandResult& r) {
    std::string m = trim(r.err.empty() ? r.out : r.err);
    std::replace(m.begin(), m.end(), '\n', ' ');
    return m.empty() ? "exit status " + std::to_string(r.code) : m;
}

// A Slurm command by name: on PATH (or beside sbatch when that was given as a path).
std::string findCommand(const std::string& name, const std::string& given = {}) {
    if (!given.empty()) {
        if (given.find('/') != std::string::npos) {
            if (::access(given.c_str(), X_OK) == 0) return given;
            throw Error(given + ": not an executable file (the sbatch to submit with)");
        }
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        const auto candidate = (fs::path(dir) / (given.empty() ? name : given)).string();
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw Error((given.empty() ? name : given) + ": not found on PATH (" + (path ? path : "") +
                "): `diffii slurm` drives Slurm through its commands; install Slurm's client tools (Debian: "
                "slurm-client) or run on a login node of the cluster");
}

std::string slurmCommand(const std::string& name) { return findCommand(name); }

}  // namespace

std::string findSlurmCommand(const std::string& name) { return findCommand(name); }

namespace {

fs::path runsDir(const std::string& projectDir) { return fs::path(projectDir) / kRunsFolder; }

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// An #SBATCH option's value: sbatch reads these lines itself, splitting on blanks outside double quotes.
std::string sbatchValue(const std::string& s) {
    if (s.find_first_of(" \t\"") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\\\"") : std::string(1, c);
    return out + "\"";
}

// The diffii the tasks run: beside the running program (diffii itself, or diffii-studio), then in the build tree's
// app/ (a test executable in tests/), then on PATH.
std::string diffiiBinaryBesideThisProgram() {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw Error("/proc/self/exe: cannot find the running program: " + ec.message());
    if (self.filename() == "diffii") return self.string();
    for (const auto& candidate : {self.parent_path() / "diffii", self.parent_path().parent_path() / "app" / "diffii"})
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    try {
        return findCommand("diffii");
    } catch (const Error&) {
        throw Error((self.parent_path() / "diffii").string() +
                    ": the diffii command-line program the array tasks run is not there (nor on PATH)");
    }
}

std::string jobScript(const SlurmPlan& plan, const SlurmSubmitOptions& o, int cpus, const std::string& diffii) {
    const auto project = fs::absolute(plan.projectDir).lexically_normal().string();
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# Diff-II Studio: one shard of the synthetic set of " << project << " per array task.\n"
      << "# Written by `diffii slurm submit`; submitted as sbatch --array=0-" << o.shards - 1 << " job.sh.\n"
      << "# Resubmit shards by hand (they resume from their last image): from this folder,\n"
      << "#   DIFFII_SLURM_RUN=<this folder's name> sbatch --array=1,3 job.sh\n"
      << "#SBATCH --job-name=" << sbatchValue("diffii-" + fs::path(project).filename().string()) << "\n"
      << "#SBATCH --output=" << sbatchValue((runsDir(project) / "logs" / "%A_%a.log").string()) << "\n"
      << "#SBATCH --cpus-per-task=" << cpus << "\n";
    if (!o.partition.empty()) s << "#SBATCH --partition=" << sbatchValue(o.partition) << "\n";
    if (!o.time.empty()) s << "#SBATCH --time=" << sbatchValue(o.time) << "\n";
    if (!o.mem.empty()) s << "#SBATCH --mem=" << sbatchValue(o.mem) << "\n";
    if (!o.gres.empty()) s << "#SBATCH --gres=" << sbatchValue(o.gres) << "\n";
    if (!o.account.empty()) s << "#SBATCH --account=" << sbatchValue(o.account) << "\n";
    for (const auto& a : o.extraArgs) s << "#SBATCH " << sbatchValue(a) << "\n";
    s << "\n"
      << "# The run these tasks belong to (its records are in runs/slurm/<run>/).\n"
      << "export DIFFII_SLURM_RUN=\"${DIFFII_SLURM_RUN:-$SLURM_ARRAY_JOB_ID}\"\n"
      << "# Compute threads = the CPUs the task was given (core/jobs/threads.h).\n"
      << "export DIFFII_THREADS=\"${SLURM_CPUS_PER_TASK:-" << cpus << "}\"\n"
      << "# Task i generates shard i of " << o.shards
      << " (the shard count is fixed here, so that a resubmission of some tasks keeps the split).\n"
      << "exec " << shellQuote(diffii) << " generate " << shellQuote(project) << " --shard \"$SLURM_ARRAY_TASK_ID/"
      << o.shards << "\"\n";
    return s.str();
}

std::string arraySpec(const std::vector<int>& tasks) {
    // Consecutive runs as ranges: 0-3, or 1,3-4.
    std::string out;
    for (size_t i = 0; i < tasks.size();) {
        size_t j = i;
        while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(tasks[i]);
        if (j > i) out += "-" + std::to_string(tasks[j]);
        i = j + 1;
    }
    return out;
}

// sbatch --parsable prints "<job id>" or "<job id>;<cluster>".
std::string submit(const std::string& sbatch, std::vector<std::string> args, const std::string& script) {
    std::vector<std::string> argv{sbatch, "--parsable"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(script);
    const auto r = runCommand(argv);
    if (r.code != 0)
        throw Error("sbatch rejected the submission (exit status " + std::to_string(r.code) + "): " + messageOf(r) +
                    "; nothing was submitted");
    std::string id = trim(r.out);
    id = id.substr(0, id.find(';'));
    if (id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit))
        throw Error("sbatch: unexpected answer '" + trim(r.out) + "' (expected a job id)");
    return id;
}

nlohmann::json readRun(const std::string& projectDir, const std::string& runId) {
    return readJsonFile((runsDir(projectDir) / runId / kRunFile).string());
}

void writeRun(const std::string& projectDir, const std::string& runId, const nlohmann::json& run) {
    writeFileAtomic((runsDir(projectDir) / runId / kRunFile).string(), run.dump(1) + "\n");
}

// One array task as the scheduler reports it.
struct TaskInfo {
    std::string state;  // Slurm's name: PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, ...
    std::string exitCode;
    std::string source;
};
using TaskKey = std::pair<std::string, int>;  // (array job id, task id)

// "Key=Value Key=Value ..." (scontrol -o, the jobcomp file), the first value of each key.
std::map<std::string, std::string> keyValues(const std::string& line) {
    std::map<std::string, std::string> kv;
    std::istringstream in(line);
    std::string token;
    while (in >> token) {
        const auto eq = token.find('=');
        if (eq != std::string::npos) kv.emplace(token.substr(0, eq), token.substr(eq + 1));
    }
    return kv;
}

// "3", "0-3", "0-3%2", "1,3-4" -> the task ids.
std::vector<int> expandTasks(std::string spec) {
    std::vector<int> out;
    spec = spec.substr(0, spec.find('%'));
    std::stringstream parts(spec);
    std::string part;
    while (std::getline(parts, part, ',')) {
        try {
            const auto dash = part.find('-');
            const int a = std::stoi(part.substr(0, dash));
            const int b = dash == std::string::npos ? a : std::stoi(part.substr(dash + 1));
            for (int t = a; t <= b && t - a < 100000; ++t) out.push_back(t);
        } catch (const std::exception&) {
        }
    }
    return out;
}

std::string firstWord(const std::string& s) { return s.substr(0, s.find_first_of(" \t")); }

// What the scheduler knows of the submissions: scontrol (the controller's memory, MinJobAge after the end), then
// sacct where accounting exists, then the jobcomp/filetxt file where it is readable.
std::map<TaskKey, TaskInfo> schedulerView(const std::vector<std::string>& jobIds) {
    std::map<TaskKey, TaskInfo> view;
    std::string scontrol;
    try {
        scontrol = slurmCommand("scontrol");
    } catch (const Error&) {
        return view;  // no client tools here: the records tell
    }
    for (const auto& id : jobIds) {
        const auto r = runCommand({scontrol, "-o", "show", "job", id});
        if (r.code != 0) continue;  // "Invalid job id specified": forgotten
        std::istringstream lines(r.out);
        std::string line;
        while (std::getline(lines, line)) {
            const auto kv = keyValues(line);
            const auto job = kv.find("ArrayJobId"), task = kv.find("ArrayTaskId"), state = kv.find("JobState");
            if (job == kv.end() || task == kv.end() || state == kv.end() || job->second != id) continue;
            const auto exit = kv.find("ExitCode");
            for (int t : expandTasks(task->second))
                view[{id, t}] = {state->second, exit == kv.end() ? "" : exit->second, "scontrol"};
        }
    }
    const auto config = runCommand({scontrol, "show", "config"});
    std::map<std::string, std::string> conf;
    {
        std::istringstream lines(config.out);
        std::string line;
        while (std::getline(lines, line)) {
            const auto eq = line.find('=');
            if (eq != std::string::npos) conf[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
        }
    }
    const auto storage = conf.find("AccountingStorageType");
    if (storage != conf.end() && storage->second != "accounting_storage/none") {
        try {
            std::string ids;
            for (const auto& id : jobIds) ids += (ids.empty() ? "" : ",") + id;
            const auto r =
                runCommand({slurmCommand("sacct"), "-X", "-n", "-P", "-j", ids, "-o", "JobID,State,ExitCode"});
            std::istringstream lines(r.code == 0 ? r.out : "");
            std::string line;
            while (std::getline(lines, line)) {
                std::stringstream fields(line);
                std::string jobTask, state, exit;
                std::getline(fields, jobTask, '|');
                std::getline(fields, state, '|');
                std::getline(fields, exit, '|');
                const auto underscore = jobTask.find('_');
                if (underscore == std::string::npos) continue;
                std::string tasks = jobTask.substr(underscore + 1);
                if (!tasks.empty() && tasks.front() == '[') tasks = tasks.substr(1, tasks.find(']') - 1);
                for (int t : expandTasks(tasks))
                    view.emplace(TaskKey{jobTask.substr(0, underscore), t}, TaskInfo{firstWord(state), exit, "sacct"});
            }
        } catch (const Error&) {
            // no sacct: the other sources tell
        }
    }
    const auto compType = conf.find("JobCompType"), compLoc = conf.find("JobCompLoc");
    if (compType != conf.end() && compType->second == "jobcomp/filetxt" && compLoc != conf.end()) {
        std::ifstream in(compLoc->second);
        std::set<std::string> wanted(jobIds.begin(), jobIds.end());
        std::string line;
        while (std::getline(in, line)) {
            const auto kv = keyValues(line);
            const auto job = kv.find("ArrayJobId"), task = kv.find("ArrayTaskId"), state = kv.find("JobState");
            if (job == kv.end() || task == kv.end() || state == kv.end() || !wanted.count(job->second)) continue;
            const auto exit = kv.find("ExitCode");
            for (int t : expandTasks(task->second))
                view.emplace(TaskKey{job->second, t},
                             TaskInfo{state->second, exit == kv.end() ? "" : exit->second, "jobcomp"});
        }
    }
    return view;
}

ShardState stateFromSlurm(const std::string& s) {
    if (s == "COMPLETED") return ShardState::Done;
    if (s == "CANCELLED") return ShardState::Cancelled;
    if (s == "PENDING" || s == "REQUEUED" || s == "REQUEUE_HOLD" || s == "REQUEUE_FED" || s == "RESV_DEL_HOLD")
        return ShardState::Pending;
    if (s == "RUNNING" || s == "CONFIGURING" || s == "COMPLETING" || s == "STAGE_OUT" || s == "SIGNALING" ||
        s == "RESIZING" || s == "SUSPENDED" || s == "STOPPED")
        return ShardState::Running;
    return ShardState::Failed;  // FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL, DEADLINE, PREEMPTED, ...
}

bool imageDone(const fs::path& syntheticDir, const std::string& output) {
    std::error_code ec;
    const auto png = syntheticDir / output;
    return fs::exists(png, ec) && fs::exists(fs::path(png).replace_extension(".json"), ec);
}

std::string shardRecordPath(const std::string& projectDir, const std::string& runId, int shard) {
    return (runsDir(projectDir) / runId / ("shard-" + std::to_string(shard) + ".json")).string();
}

std::string hostName() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}

}  // namespace

const char* shardStateName(ShardState state) {
    switch (state) {
        case ShardState::Pending:
            return "pending";
        case ShardState::Running:
            return "running";
        case ShardState::Done:
            return "done";
        case ShardState::Failed:
            return "failed";
        case ShardState::Cancelled:
            return "cancelled";
    }
    return "?";
}

bool SlurmRunStatus::finished() const {
    return std::none_of(shardStates.begin(), shardStates.end(), [](const SlurmShardStatus& s) {
        return s.state == ShardState::Pending || s.state == ShardState::Running;
    });
}

bool SlurmRunStatus::complete() const {
    return std::all_of(shardStates.begin(), shardStates.end(),
                       [](const SlurmShardStatus& s) { return s.state == ShardState::Done; });
}

std::vector<int> SlurmRunStatus::incomplete() const {
    std::vector<int> out;
    for (const auto& s : shardStates)
        if (s.state == ShardState::Failed || s.state == ShardState::Cancelled) out.push_back(s.shard);
    return out;
}

std::string latestSlurmRun(const std::string& projectDir) {
    std::ifstream in(runsDir(projectDir) / kLatestFile);
    std::string id;
    std::getline(in, id);
    return trim(id);
}

SlurmRunStatus submitSlurmRun(const SlurmPlan& plan, const SlurmSubmitOptions& options) {
    const auto sbatch = findCommand("sbatch", options.sbatch);
    if (options.shards < 1 || options.shards > 100000)
        throw Error("--shards: must be in [1, 100000], got " + std::to_string(options.shards));
    if (plan.outputs.empty()) throw Error(plan.projectDir + ": the plan holds no image (no class has training images)");
    if (options.shards > static_cast<int>(plan.outputs.size()))
        throw Error("--shards: " + std::to_string(options.shards) + " shards for " +
                    std::to_string(plan.outputs.size()) + " planned images would leave shards empty");
    if (options.cpusPerTask < 0) throw Error("--cpus-per-task: must be at least 1");
    const int cpus = options.cpusPerTask > 0 ? options.cpusPerTask : defaultTaskCpus(plan.unetParameters);
    const auto diffii = options.diffiiBinary.empty() ? diffiiBinaryBesideThisProgram() : options.diffiiBinary;
    const auto runs = runsDir(plan.projectDir);
    std::error_code ec;
    createFolders(runs / "logs");
    // sbatch reads the script when it submits; it is kept in the run's folder once the job id is known.
    const auto staged = (runs / (".job.sh.submitting." + std::to_string(::getpid()))).string();
    writeFileAtomic(staged, jobScript(plan, options, cpus, diffii));
    std::vector<int> tasks;
    for (int i = 0; i < options.shards; ++i) tasks.push_back(i);
    std::string id;
    try {
        id = submit(sbatch, {"--array=" + arraySpec(tasks)}, staged);
    } catch (...) {
        fs::remove(staged, ec);
        throw;
    }
    const auto dir = runs / id;
    fs::create_directories(dir, ec);  // a quick task may have made it for its record already
    fs::rename(staged, dir / kScriptFile, ec);
    if (ec)
        throw Error((dir / kScriptFile).string() + ": cannot keep the job script of job " + id + ": " + ec.message());
    fs::permissions(dir / kScriptFile, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
    nlohmann::json run = {
        {"run", id},
        {"shards", options.shards},
        {"cpus_per_task", cpus},
        {"partition", options.partition},
        {"time", options.time},
        {"mem", options.mem},
        {"gres", options.gres},
        {"account", options.account},
        {"sbatch_args", options.extraArgs},
        {"outputs", plan.outputs},
        {"submissions",
         nlohmann::json::array(
             {{{"job_id", id}, {"tasks", tasks}, {"time", isoTimeNow()}, {"command", currentCommandLine()}}})}};
    writeRun(plan.projectDir, id, run);
    writeFileAtomic((runs / kLatestFile).string(), id + "\n");
    return slurmRunStatus(plan.projectDir);
}

SlurmRunStatus slurmRunStatus(const std::string& projectDir) {
    const auto runId = latestSlurmRun(projectDir);
    if (runId.empty())
        throw Error((runsDir(projectDir) / kLatestFile).string() +
                    ": the project has no Slurm run (submit one with `diffii slurm submit`)");
    const auto runFile = (runsDir(projectDir) / runId / kRunFile).string();
    const auto run = readRun(projectDir, runId);
    SlurmRunStatus status;
    status.runId = runId;
    status.runDir = (runsDir(projectDir) / runId).string();
    status.shards = jsonRequire<int>(run, "shards", runFile);
    const auto outputs = jsonRequire<std::vector<std::string>>(run, "outputs", runFile);
    // shard -> the job id of the latest submission that holds it
    std::map<int, std::string> latestJob;
    for (const auto& sub : jsonRequire<nlohmann::json>(run, "submissions", runFile)) {
        const auto id = jsonRequire<std::string>(sub, "job_id", runFile);
        status.jobIds.push_back(id);
        for (int t : jsonRequire<std::vector<int>>(sub, "tasks", runFile)) latestJob[t] = id;
    }
    const auto view = schedulerView(status.jobIds);
    const fs::path synthetic = fs::path(projectDir) / "synthetic";
    for (int i = 0; i < status.shards; ++i) {
        SlurmShardStatus s;
        s.shard = i;
        for (size_t k = static_cast<size_t>(i); k < outputs.size(); k += static_cast<size_t>(status.shards)) {
            ++s.planned;
            if (imageDone(synthetic, outputs[k])) ++s.done;
        }
        const bool allThere = s.done == s.planned;
        const auto job = latestJob.count(i) ? latestJob[i] : runId;
        s.jobId = job + "_" + std::to_string(i);
        s.log = (runsDir(projectDir) / "logs" / (s.jobId + ".log")).string();
        nlohmann::json record;
        try {
            const auto path = shardRecordPath(projectDir, runId, i);
            if (fs::exists(path)) record = readJsonFile(path);
        } catch (const Error&) {
            record = nullptr;  // a damaged record says nothing
        }
        const bool recordOfThisTask = record.is_object() && record.value("job_id", std::string()) == s.jobId;
        if (recordOfThisTask) s.detail = record.value("message", std::string());
        const auto it = view.find({job, i});
        if (it != view.end()) {
            s.state = stateFromSlurm(it->second.state);
            s.exitCode = it->second.exitCode;
            s.source = it->second.source;
            if (s.state == ShardState::Done && !allThere) {
                s.state = ShardState::Failed;
                s.detail = "the task ended well but " + std::to_string(s.planned - s.done) +
                           " of its images are missing (did the project's plan change?)";
            } else if ((s.state == ShardState::Failed || s.state == ShardState::Cancelled) && allThere) {
                s.state = ShardState::Done;  // ended after its last image
            }
        } else if (recordOfThisTask) {
            const auto state = record.value("state", std::string());
            s.source = "record";
            s.exitCode = record.contains("exit_code") ? std::to_string(record.value("exit_code", 0)) + ":0" : "";
            if (allThere)
                s.state = ShardState::Done;
            else if (state == "cancelled")
                s.state = ShardState::Cancelled;
            else if (state == "failed")
                s.state = ShardState::Failed;
            else {
                s.state = ShardState::Failed;
                s.detail = "the task stopped while '" + state + "' and Slurm no longer knows it (killed?)";
            }
        } else {
            s.source = "files";
            s.state = allThere ? ShardState::Done : ShardState::Failed;
            if (!allThere) s.detail = "neither Slurm nor a record of task " + s.jobId + " is left";
        }
        status.shardStates.push_back(std::move(s));
    }
    return status;
}

SlurmRunStatus resumeSlurmRun(const SlurmPlan& plan, const std::string& sbatchGiven) {
    const auto sbatch = findCommand("sbatch", sbatchGiven);
    auto status = slurmRunStatus(plan.projectDir);
    const auto runFile = (fs::path(status.runDir) / kRunFile).string();
    auto run = readRun(plan.projectDir, status.runId);
    if (jsonRequire<std::vector<std::string>>(run, "outputs", runFile) != plan.outputs)
        throw Error(runFile + ": the project's plan changed since run " + status.runId +
                    " was submitted (settings, concepts or pool): submit a new run with `diffii slurm submit`");
    const auto tasks = status.incomplete();
    if (tasks.empty()) {
        if (status.complete())
            throw Error("run " + status.runId + ": nothing to resume, all " + std::to_string(status.shards) +
                        " shards are done");
        throw Error("run " + status.runId +
                    ": nothing to resume yet, every shard that is not done is pending or "
                    "running");
    }
    const auto script = (fs::path(status.runDir) / kScriptFile).string();
    if (!fs::exists(script)) throw Error(script + ": the run's job script is missing; submit a new run");
    const auto id =
        submit(sbatch, {"--array=" + arraySpec(tasks), "--export=ALL,DIFFII_SLURM_RUN=" + status.runId}, script);
    run["submissions"].push_back(
        {{"job_id", id}, {"tasks", tasks}, {"time", isoTimeNow()}, {"command", currentCommandLine()}});
    writeRun(plan.projectDir, status.runId, run);
    return slurmRunStatus(plan.projectDir);
}

Shard shardFromSlurmEnvironment() {
    auto number = [](const char* name) {
        const char* v = std::getenv(name);
        if (!v || !*v)
            throw Error(std::string("--shard slurm: $") + name +
                        " is not set (run it as a task of a Slurm job array, sbatch --array=0-N)");
        char* end = nullptr;
        const long n = std::strtol(v, &end, 10);
        if (*end != '\0' || n < 0) throw Error(std::string("--shard slurm: $") + name + "='" + v + "' is not a number");
        return static_cast<int>(n);
    };
    const int id = number("SLURM_ARRAY_TASK_ID");
    const int count = number("SLURM_ARRAY_TASK_COUNT");
    const char* minText = std::getenv("SLURM_ARRAY_TASK_MIN");
    const int min = minText && *minText ? number("SLURM_ARRAY_TASK_MIN") : 0;
    return parseShard(std::to_string(id - min) + "/" + std::to_string(count));
}

void recordSlurmShard(const std::string& projectDir, const Shard& shard, const std::function<void()>& generate) {
    const char* run = std::getenv("DIFFII_SLURM_RUN");
    const char* job = std::getenv("SLURM_ARRAY_JOB_ID");
    const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
    if (!run || !*run || !job || !*job || !task || !*task || shard.count < 2 ||
        std::string(run).find_first_of("/.") != std::string::npos) {
        generate();
        return;
    }
    const auto path = shardRecordPath(projectDir, run, shard.index);
    nlohmann::json record = {{"shard", shard.index},
                             {"shards", shard.count},
                             {"job_id", std::string(job) + "_" + task},
                             {"host", hostName()},
                             {"pid", static_cast<long long>(::getpid())},
                             {"started", isoTimeNow()},
                             {"state", "running"}};
    auto write = [&] {
        std::error_code ec;
        fs::create_directories(fs::path(path).parent_path(), ec);
        writeFileAtomic(path, record.dump(1) + "\n");
    };
    write();
    auto finish = [&](const char* state, int exitCode, const std::string& message) {
        record["state"] = state;
        record["exit_code"] = exitCode;
        record["finished"] = isoTimeNow();
        if (!message.empty()) record["message"] = message;
        try {
            write();
        } catch (const Error&) {
            // the record is a convenience; the job's own outcome is what counts
        }
    };
    try {
        generate();
    } catch (const Cancelled&) {
        finish("cancelled", 130, "cancelled");
        throw;
    } catch (const std::exception& e) {
        finish("failed", 1, e.what());
        throw;
    }
    finish("done", 0, "");
}

void checkClusterRunComplete(const std::string& projectDir) {
    const auto runId = latestSlurmRun(projectDir);
    if (runId.empty()) return;
    const auto runFile = (runsDir(projectDir) / runId / kRunFile).string();
    const auto run = readRun(projectDir, runId);
    const int shards = jsonRequire<int>(run, "shards", runFile);
    const auto outputs = jsonRequire<std::vector<std::string>>(run, "outputs", runFile);
    const fs::path synthetic = fs::path(projectDir) / "synthetic";
    std::map<int, std::vector<std::string>> missing;
    for (size_t k = 0; k < outputs.size(); ++k)
        if (!imageDone(synthetic, outputs[k]))
            missing[static_cast<int>(k % static_cast<size_t>(shards))].push_back(outputs[k]);
    if (!missing.empty()) {
        std::string text;
        for (const auto& [shard, list] : missing) {
            int64_t planned = 0;
            for (size_t k = static_cast<size_t>(shard); k < outputs.size(); k += static_cast<size_t>(shards)) ++planned;
            text += (text.empty() ? "" : "; ") + std::string("shard ") + std::to_string(shard) + " of " +
                    std::to_string(shards) + ": " + std::to_string(list.size()) + " of " + std::to_string(planned) +
                    " images missing (" + list.front() + (list.size() > 1 ? ", ..." : "") + ")";
        }
        throw Error(synthetic.string() + ": Slurm run " + runId + " is incomplete: " + text +
                    ". Run `diffii slurm resume " + projectDir + "` (or see `diffii slurm status`) before exporting");
    }
    // Every image is there; the manifest lists them unless a task was killed between its last image and its rewrite.
    std::set<std::string> listed;
    const auto manifest = synthetic / "manifest.jsonl";
    if (fs::exists(manifest)) {
        try {
            for (const auto& r : readManifestJsonl(manifest.string())) listed.insert(r.outputPath);
        } catch (const Error&) {
            // damaged: rebuilt below
        }
    }
    if (std::any_of(outputs.begin(), outputs.end(), [&](const std::string& o) { return !listed.count(o); })) {
        const FileLock serial((fs::path(projectDir) / ProjectLock::kShardFolder / "synthetic.manifest").string());
        rebuildManifest(synthetic.string());
    }
}

}  // namespace diffii
