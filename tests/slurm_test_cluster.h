// A throwaway one-node Slurm cluster for the tests (test_slurm, test_ui_slurm): slurmctld -D and slurmd -D on
// 127.0.0.1 from a slurm.conf in a temporary folder (auth/none, no cgroups, fast scheduling, jobcomp/filetxt, free
// ports, this machine's CPUs). Everything it started is killed by PID when it goes, and then every process whose
// environment holds its SLURM_CONF (a killed run's slurmstepd and tasks). Header-only.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <QProcess>
#include <QString>

namespace diffii::test {

namespace slurm_fs = std::filesystem;

inline std::string readText(const slurm_fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline std::string findProgram(const std::string& name) {
    for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"}) {
        const auto p = slurm_fs::path(dir) / name;
        if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return {};
}

inline int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

// The PIDs of the processes whose environment holds SLURM_CONF=conf: the daemons, their slurmstepd and the tasks.
inline std::vector<pid_t> processesOf(const std::string& conf) {
    std::vector<pid_t> out;
    const std::string needle = "SLURM_CONF=" + conf;
    std::error_code ec;
    for (const auto& e : slurm_fs::directory_iterator("/proc", ec)) {
        const auto name = e.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == ::getpid()) continue;
        const auto env = readText(e.path() / "environ");
        size_t start = 0;
        while (start < env.size()) {
            const size_t end = env.find('\0', start);
            if (env.compare(start, (end == std::string::npos ? env.size() : end) - start, needle) == 0) {
                out.push_back(pid);
                break;
            }
            if (end == std::string::npos) break;
            start = end + 1;
        }
    }
    return out;
}

// A one-node cluster on 127.0.0.1 under dir; everything it started is killed by PID when it goes.
class LocalSlurm {
public:
    explicit LocalSlurm(const std::string& dir) : m_dir(dir) {
        m_conf = m_dir + "/slurm.conf";
        slurm_fs::create_directories(m_dir + "/state");
        slurm_fs::create_directories(m_dir + "/spool");
        const int cpus = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
        std::ofstream c(m_conf);
        c << "ClusterName=diffiitest\nSlurmctldHost=localhost(127.0.0.1)\nSlurmUser=root\nSlurmdUser=root\n"
          << "SlurmctldPort=" << freePort() << "\nSlurmdPort=" << freePort() << "\n"
          << "AuthType=auth/none\nCredType=cred/none\nAuthInfo=cred_expire=5\n"
          << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nMpiDefault=none\n"
          << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
          << "SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1\n"
          << "JobCompType=jobcomp/filetxt\nJobCompLoc=" << m_dir << "/jobcomp.txt\n"
          << "StateSaveLocation=" << m_dir << "/state\nSlurmdSpoolDir=" << m_dir << "/spool\n"
          << "SlurmctldPidFile=" << m_dir << "/slurmctld.pid\nSlurmdPidFile=" << m_dir << "/slurmd.pid\n"
          << "SlurmctldLogFile=" << m_dir << "/slurmctld.log\nSlurmdLogFile=" << m_dir
          << "/slurmd.log\n"
          // KillWait: a cancelled task gets 30 s to stop at its next step and write its record before SIGKILL. With 5
          // s, four tasks and a parallel test on two cores sometimes took longer, and the record stayed "running".
          << "ReturnToService=2\nKillWait=30\nMinJobAge=600\nInactiveLimit=0\n"
          << "NodeName=localhost NodeAddr=127.0.0.1 CPUs=" << cpus << " RealMemory=500 State=UNKNOWN\n"
          << "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n";
    }
    ~LocalSlurm() { stop(); }

    const std::string& conf() const { return m_conf; }

    // Starts both daemons and waits until sinfo shows the node idle; "" or what went wrong.
    std::string start() {
        m_ctld = spawn({findProgram("slurmctld"), "-D", "-i", "-f", m_conf}, m_dir + "/slurmctld.out");
        m_slurmd = spawn({findProgram("slurmd"), "-D", "-N", "localhost", "-f", m_conf}, m_dir + "/slurmd.out");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            QProcess sinfo;
            sinfo.start(QString::fromStdString(findProgram("sinfo")), {"-h", "-N", "-o", "%t"});
            sinfo.waitForFinished(5000);
            if (QString::fromUtf8(sinfo.readAllStandardOutput()).trimmed() == QLatin1String("idle")) return {};
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return "the node did not become idle within 30 s; slurmctld: " + readText(m_dir + "/slurmctld.out") +
               " slurmd: " + readText(m_dir + "/slurmd.out");
    }

    void stop() {
        for (pid_t* pid : {&m_slurmd, &m_ctld}) {
            if (*pid <= 0) continue;
            ::kill(*pid, SIGTERM);
            for (int i = 0; i < 30 && ::waitpid(*pid, nullptr, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            ::kill(*pid, SIGKILL);
            ::waitpid(*pid, nullptr, 0);
            *pid = -1;
        }
        // Whatever the daemons left: slurmstepd and the tasks of a killed run carry our SLURM_CONF.
        for (int round = 0; round < 20; ++round) {
            const auto left = processesOf(m_conf);
            if (left.empty()) break;
            for (pid_t p : left) ::kill(p, SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

private:
    static pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        return pid;
    }

    std::string m_dir, m_conf;
    pid_t m_ctld = -1, m_slurmd = -1;
};

}  // namespace diffii::test
