// Pid writes to cgroup.procs, many pids into many cgroups in one call, and the single-file read of a handle (a file
// as text, a cgroup's pids). Writes by path (mkdir, rmdir, control files) are in fsops.h.
#ifndef CGMGR_PROCS_H_
#define CGMGR_PROCS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "handle.h"

namespace cgmgr {

// Per pid result (Int32Array cell); negative values are failed syscalls, EncodeSysStatus(syscall, errno).
// Keep in step with lib/engine.ts PID_STATUS.
enum PidStatus : int32_t {
  kPidOk = 0,
  kPidBadHandle = 2,       // the id is not an open handle
  kPidNotInHierarchy = 4,  // an explicit hierarchy the cgroup does not exist in
  kPidInvalid = 6,         // not a positive 32-bit pid
  kPidNotRegular = 7,      // the file is not a regular file (ReadText/WriteText)
};

constexpr size_t kMaxTextFile = 16 * 1024 * 1024;  // ReadText refuses larger files (EFBIG)

constexpr int kEinvalAttempts = 5;       // spec §2.6: EINVAL (a task still in TASK_NEW) is retried,
constexpr int kEinvalRetryDelayMs = 30;  // 30 ms apart, 5 attempts in all

// Writes pids[i] into ids[i]'s cgroup.procs: in hierarchy `hier`, or in every hierarchy the cgroup exists in when
// hier < 0 (each hierarchy once, in index order; the first failure is the pid's result and stops that pid's writes).
// Consecutive entries for the same cgroup share one opened descriptor per hierarchy.
void WritePids(HandleTable& table, const uint32_t* ids, const int32_t* pids, size_t count, int32_t hier,
               int32_t* results);

// Reads a whole file of a handle. Returns 0 or EncodeSysStatus; kPidBadHandle / kPidNotInHierarchy as above.
int32_t ReadText(HandleTable& table, uint32_t id, uint32_t hier, std::string_view name, std::string* out);

}  // namespace cgmgr

#endif  // CGMGR_PROCS_H_
