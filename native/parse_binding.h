#ifndef CGMGR_PARSE_BINDING_H_
#define CGMGR_PARSE_BINDING_H_
#include <napi.h>
namespace cgmgr {
void InitParseBinding(Napi::Env env, Napi::Object exports);
}
#endif
