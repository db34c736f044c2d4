// The Engine: the JavaScript face of one set of hierarchies (a HandleTable), its read plans and batch calls.
#ifndef CGMGR_ENGINE_H_
#define CGMGR_ENGINE_H_

#include <napi.h>

#include <memory>
#include <unordered_map>
#include <vector>

#include "handle.h"
#include "plan.h"
#include "reader.h"

namespace cgmgr {

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Engine(const Napi::CallbackInfo& info);

  HandleTable& table() { return *table_; }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value CreatePlan(const Napi::CallbackInfo& info);
  Napi::Value FreePlan(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value ReadAsync(const Napi::CallbackInfo& info);
  Napi::Value ReadFile(const Napi::CallbackInfo& info);
  Napi::Value ReadPids(const Napi::CallbackInfo& info);
  Napi::Value ReadPidsAsync(const Napi::CallbackInfo& info);
  Napi::Value ReadProcFilesAsync(const Napi::CallbackInfo& info);
  Napi::Value WritePidsSync(const Napi::CallbackInfo& info);
  Napi::Value WritePidsAsync(const Napi::CallbackInfo& info);
  Napi::Value WritePidsImpl(const Napi::CallbackInfo& info, bool async);
  Napi::Value Usage(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  // Validates read(plan, ids, values, flags, fileStatus, itemStatus, sampleMs, asDouble, rowTiers?); on failure throws.
  bool ParseReadArgs(const Napi::CallbackInfo& info, std::shared_ptr<const Plan>* plan, const uint32_t** ids,
                     size_t* count, BatchOut* out);
  void ThrowStatus(Napi::Env env, int32_t status, uint32_t id, uint32_t hier, const std::string& name);
  bool ReadTextArgs(const Napi::CallbackInfo& info, uint32_t* id, uint32_t* hier, std::string* name, std::string* text);

  // Shared with async workers, which may outlive a destroy() call.
  std::shared_ptr<HandleTable> table_;
  std::unordered_map<uint32_t, std::shared_ptr<const Plan>> plans_;  // by id; ids are never reused
  uint32_t next_plan_id_ = 1;
  std::unique_ptr<Reader> reader_ = std::make_unique<Reader>();  // the JS thread's (its buffer is reused)
};

}  // namespace cgmgr

#endif  // CGMGR_ENGINE_H_
