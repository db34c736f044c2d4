// System facts the memory checks need: sysinfo(2) total RAM (with mem_unit), the open-file limit.
#ifndef CGMGR_SYSINFO_H_
#define CGMGR_SYSINFO_H_
#include <napi.h>
namespace cgmgr {
void InitSysinfoBinding(Napi::Env env, Napi::Object exports);
}
#endif
