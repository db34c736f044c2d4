#ifndef CGMGR_PARSE_BINDING_H_
#define CGMGR_PARSE_BINDING_H_
#include <napi.h>

#include <vector>

#include "parse/parse.h"
#include "reader.h"

namespace cgmgr {
void InitParseBinding(Napi::Env env, Napi::Object exports);
// A ParseError as JS: { reason, line, field, token (Buffer, the bytes as in the file, cut to the bound), tokenSize }.
napi_value ParseErrorToJs(napi_env env, const ParseError& e);
// A batch's parse failures as JS: an array of ParseErrorToJs objects with { row, file } added, or undefined when there
// are none (the common case allocates nothing). nullptr with an exception pending on failure.
napi_value ParseErrorsToJs(napi_env env, const std::vector<FileParseError>& errors);
}  // namespace cgmgr
#endif
