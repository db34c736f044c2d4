// The process figures' /proc scan (lib/collector/process-figures.ts, cAdvisor's processStatsFromProcs): per pid the
// entries of <procRoot>/<pid>/fd and how many of them link to a socket, in C (getdents64 + readlinkat on one transient
// directory descriptor per pid, as the engine's reads past its held descriptors).
#ifndef CGMGR_PROC_SCAN_H_
#define CGMGR_PROC_SCAN_H_

#include <napi.h>

#include <cstdint>
#include <string>

namespace cgmgr {

struct ProcFigures {
  uint64_t fds = 0;
  uint64_t sockets = 0;
  uint64_t starved = 0;  // pids not scanned: EMFILE/ENFILE opening their fd directory
};

// Adds the figures of one pid to `out`. A pid whose fd directory cannot be opened or read (exited, not ours) adds
// nothing; an entry whose link cannot be read is not a socket (cAdvisor's rules).
void ScanPidFds(const std::string& proc_root, int32_t pid, ProcFigures* out);

void InitProcScanBinding(Napi::Env env, Napi::Object exports);

}  // namespace cgmgr

#endif  // CGMGR_PROC_SCAN_H_
