// Process exits of many processes at once, for the last sample of a v1 cgroup (lib/collector/last-sample.ts): per
// watched process a pidfd (pidfd_open), all in one epoll set served by one thread (epoll_watch.h). A pidfd becomes
// readable when its process exits; the thread closes it and hands the watch's token to a JavaScript callback. Each watch is one-shot and holds one descriptor of the process budget,
// within the watches' share of it (handle.h).
#ifndef CGMGR_PID_WATCH_H_
#define CGMGR_PID_WATCH_H_

#include <napi.h>

#include "epoll_watch.h"

namespace cgmgr {

class PidWatch : public Napi::ObjectWrap<PidWatch> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit PidWatch(const Napi::CallbackInfo& info);

 private:
  // add(pid: number, token: uint32): watches the process (replacing the token's earlier watch). Throws a CgroupError
  // (ESRCH when it has exited, EMFILE past the budget, ...).
  Napi::Value Add(const Napi::CallbackInfo& info);
  // remove(token) -> boolean
  Napi::Value Remove(const Napi::CallbackInfo& info);
  // close(): stops the thread and closes every descriptor. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);

  EpollWatchSet set_;  // one pidfd per watch, one-shot
};

}  // namespace cgmgr

#endif  // CGMGR_PID_WATCH_H_
