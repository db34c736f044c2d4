// The /proc scans over a cgroup's pids, in C:
//  - the process figures (lib/collector/process-figures.ts, cAdvisor's processStatsFromProcs): per pid the entries of
//    <procRoot>/<pid>/fd and how many of them link to a socket (getdents64 + readlinkat on one transient directory
//    descriptor per pid, as the engine's reads past its held descriptors);
//  - CRI-O's PidsStats (lib/stats/process.ts): the same two sums, plus the soft "Max open files" of
//    <procRoot>/<pid>/limits, the last pid whose line parses winning (spec Q-12).
// One copy of each: both callers use these functions.
#ifndef CGMGR_PROC_SCAN_H_
#define CGMGR_PROC_SCAN_H_

#include <napi.h>

#include <cstdint>
#include <string>

namespace cgmgr {

struct ProcFigures {
  uint64_t fds = 0;
  uint64_t sockets = 0;
  uint64_t starved = 0;      // pids not scanned: EMFILE/ENFILE opening their fd directory
  uint64_t ulimit_soft = 0;  // ScanPidLimits: the last soft "Max open files" that parsed
  bool has_ulimit = false;   // ScanPidLimits: whether any did
};

// Adds the figures of one pid to `out`. A pid whose fd directory cannot be opened or read to its end (exited, not
// ours) adds nothing, as os.ReadDir failing in cAdvisor and CRI-O; an entry whose link cannot be read is not a socket.
void ScanPidFds(const std::string& proc_root, int32_t pid, ProcFigures* out);

// The soft "Max open files" of <proc_root>/<pid>/limits (the first line that starts with the label; its first field
// as a u64): sets out->ulimit_soft and has_ulimit when it parses, leaves them as they were when it does not
// ("unlimited") or the file cannot be read.
void ScanPidLimits(const std::string& proc_root, int32_t pid, ProcFigures* out);

// The soft "Max open files" of a limits text, or false when the line is missing or its value does not parse.
bool ParseNofileSoft(const char* text, size_t len, uint64_t* out);

void InitProcScanBinding(Napi::Env env, Napi::Object exports);

}  // namespace cgmgr

#endif  // CGMGR_PROC_SCAN_H_
