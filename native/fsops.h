// The write side of the engine: mkdir, rmdir, listing a cgroup's child directories, and reading or writing one small
// file, each resolved beneath a hierarchy's root descriptor with the same no-symlink resolution as reads (handle.h
// OpenBeneath: openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or the O_NOFOLLOW walk). The parent directory is
// resolved that way and the last component is acted on relative to it with calls that never follow a symlink
// (mkdirat, unlinkat, openat with O_NOFOLLOW). Only regular files are read or written (O_NONBLOCK, then S_ISREG), so a
// FIFO cannot block a call. The hierarchy root itself is never removed.
//
// Exposed as fsOp(engine, op, hierarchy, relPath, name, data) and fsOpAsync(...) (a Promise, run on the libuv pool);
// the engine object is type-tagged at construction (TagEngine) so nothing else can be passed for it.
#ifndef CGMGR_FSOPS_H_
#define CGMGR_FSOPS_H_

#include <napi.h>

namespace cgmgr {

// Operation codes; keep in step with lib/engine.ts FS_OP.
enum class FsOpCode : uint32_t { kMkdir = 0, kRmdir = 1, kList = 2, kRead = 3, kWrite = 4, kCount = 5 };

// Largest file fsOp reads (the managers read cgroup.controllers, cpuset.cpus/mems, cpu.shares, memory.*): 1 MiB.
constexpr size_t kFsReadMax = 1 << 20;

// Marks a new Engine object as one (called from the Engine constructor).
void TagEngine(napi_env env, napi_value object);

void InitFsOpsBinding(Napi::Env env, Napi::Object exports);

}  // namespace cgmgr

#endif  // CGMGR_FSOPS_H_
