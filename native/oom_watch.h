// OOM notifications of cgroup v1 memory controllers, for many cgroups at once: per cgroup an eventfd registered
// through cgroup.event_control for memory.oom_control (the kernel's only v1 OOM notification), all of them in one
// epoll set served by one thread (epoll_watch.h), which hands the cgroup's token to a JavaScript callback. The kernel also signals the eventfd when the cgroup is removed; the
// callback tells the two apart by reading the oom_kill counter.
#ifndef CGMGR_OOM_WATCH_H_
#define CGMGR_OOM_WATCH_H_

#include <napi.h>

#include <cstddef>

#include "epoll_watch.h"

namespace cgmgr {

class OomWatch : public Napi::ObjectWrap<OomWatch> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit OomWatch(const Napi::CallbackInfo& info);

 private:
  // add(dir: string, token: uint32, ino: number (0 = any)): registers the cgroup directory `dir` (absolute path of
  // its v1 memory directory), replacing the token's earlier watch. Throws a CgroupError (ENOENT, ERR_CGROUP_GONE
  // when the inode is not `ino`, ...).
  Napi::Value Add(const Napi::CallbackInfo& info);
  // remove(token) -> boolean
  Napi::Value Remove(const Napi::CallbackInfo& info);
  // close(): stops the thread and closes every descriptor. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);

  // Per watch: the eventfd the kernel signals (in the epoll set); memory.oom_control is closed once registered.
  EpollWatchSet set_;
};

// Each watch holds one descriptor of the process budget (handle.h), its eventfd; the watches of a process take at most
// half of the budget, so reads keep room to hold descriptors.
constexpr size_t kOomFdsPerWatch = 1;

}  // namespace cgmgr

#endif  // CGMGR_OOM_WATCH_H_
