// parseText(format, text, keys, cap, strict): the parsers of native/parse/ over one file's content, for tests and for
// the JS layer. Returns { status, count, values, flags }:
//   status  a ParseStatus (0 ok, 1 malformed, 2 overflow, 3 empty)
//   count   list, ioStat, blkio, pids: the number of entries in the file (may exceed cap: status 2);
//           newlines: the number of '\n'; the other formats: the number of slots
//   values  BigUint64Array of slots (pids: Int32Array of cap pids; newlines: empty)
//   flags   Uint8Array, one SlotFlag per slot (pids, newlines: empty)
// Slots: single 1, flatKeyed keys.length, list cap, cpuacctStat 2, cpuMax 2, psi 8, ioStat cap * (2 + keys.length),
// blkio cap * 4, cpuset 1. text may also be a Uint8Array/Buffer (the bytes as they are, e.g. not valid UTF-8).
#include "parse_binding.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "errors.h"
#include "parse/parse.h"

namespace cgmgr {

namespace {

// parseText (tests and fuzzing) takes larger capacities than a plan (plan.h kMaxCap): it exercises the parsers alone.
constexpr uint32_t kParseTextMaxCap = 1u << 20;
constexpr size_t kMaxSlots = size_t{1} << 24;

Napi::Value Fail(Napi::Env env, const char* message) {
  ThrowTypeError(env, message);
  return env.Null();
}

Napi::Object Result(Napi::Env env, ParseStatus status, uint32_t count, Napi::Value values, Napi::Value flags,
                    const ParseError& error) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("status", Napi::Number::New(env, static_cast<int32_t>(status)));
  result.Set("count", Napi::Number::New(env, count));
  result.Set("values", values);
  result.Set("flags", flags);
  if (status != ParseStatus::kOk) {
    napi_value e = ParseErrorToJs(env, error);
    if (e != nullptr) result.Set("error", Napi::Value(env, e));
  }
  return result;
}

bool SetProperty(napi_env env, napi_value object, const char* name, napi_value value) {
  return value != nullptr && napi_set_named_property(env, object, name, value) == napi_ok;
}

napi_value Uint(napi_env env, uint32_t v) {
  napi_value out = nullptr;
  return napi_create_uint32(env, v, &out) == napi_ok ? out : nullptr;
}

Napi::Value ParseText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2) return Fail(env, "parseText(format, text, keys, cap, strict): format and text are required");
  if (!info[0].IsString()) return Fail(env, "parseText: format must be a string");
  const std::string format = info[0].As<Napi::String>().Utf8Value();

  std::string text_storage;
  std::string_view text;
  if (info[1].IsString()) {
    text_storage = info[1].As<Napi::String>().Utf8Value();
    text = text_storage;
  } else if (info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    // Copied so that the parser sees an exactly sized buffer of its own.
    text_storage.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
    text = text_storage;
  } else {
    return Fail(env, "parseText: text must be a string or a Uint8Array");
  }

  std::vector<std::string> key_storage;
  if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) {
    if (!info[2].IsArray()) return Fail(env, "parseText: keys must be an array of strings");
    Napi::Array arr = info[2].As<Napi::Array>();
    const uint32_t n = arr.Length();
    if (n > (1u << 16)) return Fail(env, "parseText: too many keys");
    key_storage.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value k = arr.Get(i);
      if (!k.IsString()) return Fail(env, "parseText: keys must be an array of strings");
      key_storage.push_back(k.As<Napi::String>().Utf8Value());
    }
  }
  std::vector<std::string_view> key_views(key_storage.begin(), key_storage.end());
  const KeySet keys{key_views.data(), static_cast<uint32_t>(key_views.size())};

  uint32_t cap = 0;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsNumber()) return Fail(env, "parseText: cap must be a number");
    const double d = info[3].As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d > kParseTextMaxCap || d != static_cast<double>(static_cast<uint32_t>(d))) {
      return Fail(env, "parseText: cap must be an integer from 0 to 2^20");
    }
    cap = static_cast<uint32_t>(d);
  }

  bool strict = false;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    if (!info[4].IsBoolean()) return Fail(env, "parseText: strict must be a boolean");
    strict = info[4].As<Napi::Boolean>().Value();
  }

  ParseError error;
  if (format == "newlines") {
    return Result(env, ParseStatus::kOk, CountNewlines(text), Napi::TypedArrayOf<uint64_t>::New(env, 0),
                  Napi::Uint8Array::New(env, 0), error);
  }
  if (format == "pids") {
    Napi::Int32Array pids = Napi::Int32Array::New(env, cap);
    if (pids.IsEmpty() || pids.Data() == nullptr || ExceptionPending(env)) return env.Null();  // env going away
    uint32_t count = 0;
    const ParseStatus status = ParsePidList(text, pids.Data(), cap, &count, &error);
    return Result(env, status, count, pids, Napi::Uint8Array::New(env, 0), error);
  }

  size_t slots = 0;
  if (format == "single" || format == "cpuset") {
    slots = 1;
  } else if (format == "flatKeyed") {
    slots = keys.count;
  } else if (format == "list") {
    slots = cap;
  } else if (format == "cpuacctStat" || format == "cpuMax") {
    slots = 2;
  } else if (format == "psi") {
    slots = kPsiSlots;
  } else if (format == "ioStat") {
    slots = static_cast<size_t>(cap) * (2 + static_cast<size_t>(keys.count));
  } else if (format == "blkio") {
    slots = static_cast<size_t>(cap) * kBlkioSlotsPerEntry;
  } else {
    return Fail(env,
                "parseText: format must be one of single, flatKeyed, list, cpuacctStat, cpuMax, psi, ioStat, blkio, "
                "cpuset, pids, newlines");
  }
  if (slots > kMaxSlots) return Fail(env, "parseText: cap * slots per entry is too large");

  Napi::TypedArrayOf<uint64_t> values = Napi::TypedArrayOf<uint64_t>::New(env, slots, napi_biguint64_array);
  Napi::Uint8Array flags = Napi::Uint8Array::New(env, slots);
  if (values.IsEmpty() || flags.IsEmpty() || ExceptionPending(env))
    return env.Null();  // allocation failed, or teardown
  if (slots > 0 && (values.Data() == nullptr || flags.Data() == nullptr)) return env.Null();
  // The parsers never touch more than their slots; give them a valid pointer even for zero slots.
  uint64_t dummy_value = 0;
  uint8_t dummy_flag = 0;
  const Slots out{slots > 0 ? values.Data() : &dummy_value, slots > 0 ? flags.Data() : &dummy_flag};
  std::memset(out.value, 0, slots * sizeof(uint64_t));
  std::memset(out.flag, 0, slots);

  ParseStatus status = ParseStatus::kOk;
  uint32_t count = static_cast<uint32_t>(slots);
  if (format == "single") {
    status = ParseSingle(text, out, &error);
  } else if (format == "cpuset") {
    status = ParseCpuset(text, out, &error);
  } else if (format == "flatKeyed") {
    status = ParseFlatKeyed(text, keys, strict, out, &error);
  } else if (format == "list") {
    status = ParseList(text, out, cap, &count, &error);
  } else if (format == "cpuacctStat") {
    status = ParseCpuacctStat(text, out, &error);
  } else if (format == "cpuMax") {
    status = ParseCpuMax(text, out, &error);
  } else if (format == "psi") {
    status = ParsePsi(text, out, &error);
  } else if (format == "ioStat") {
    status = ParseIoStat(text, keys, out, cap, &count, &error);
  } else {
    status = ParseBlkio(text, out, cap, &count, &error);
  }
  return Result(env, status, count, values, flags, error);
}

}  // namespace

napi_value ParseErrorToJs(napi_env env, const ParseError& e) {
  napi_value object = nullptr, field = nullptr, token = nullptr;
  void* data = nullptr;
  if (napi_create_object(env, &object) != napi_ok ||
      napi_create_string_utf8(env, e.field, e.field_len, &field) != napi_ok ||
      napi_create_buffer_copy(env, e.token_len, e.token_len > 0 ? e.token : "", &data, &token) != napi_ok) {
    return nullptr;
  }
  if (!SetProperty(env, object, "reason", Uint(env, static_cast<uint32_t>(e.reason))) ||
      !SetProperty(env, object, "line", Uint(env, e.line)) || !SetProperty(env, object, "field", field) ||
      !SetProperty(env, object, "token", token) || !SetProperty(env, object, "tokenSize", Uint(env, e.token_size))) {
    return nullptr;
  }
  return object;
}

napi_value ParseErrorsToJs(napi_env env, const std::vector<FileParseError>& errors) {
  napi_value out = nullptr;
  if (errors.empty()) return napi_get_undefined(env, &out) == napi_ok ? out : nullptr;
  if (napi_create_array_with_length(env, errors.size(), &out) != napi_ok) return nullptr;
  for (size_t i = 0; i < errors.size(); ++i) {
    napi_value e = ParseErrorToJs(env, errors[i].error);
    if (e == nullptr || !SetProperty(env, e, "row", Uint(env, errors[i].row)) ||
        !SetProperty(env, e, "file", Uint(env, errors[i].file)) ||
        napi_set_element(env, out, static_cast<uint32_t>(i), e) != napi_ok) {
      return nullptr;
    }
  }
  return out;
}

void InitParseBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("parseText", Napi::Function::New(env, ParseText, "parseText"));
}

}  // namespace cgmgr
