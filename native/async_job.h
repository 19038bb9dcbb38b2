// Running a prepared kernel off the main thread: the export validates its arguments on the main thread
// exactly as the synchronous one does, captures the checked pointers in a Job, and queues it on libuv's
// thread pool. The exports accept only arrays over non-growable SharedArrayBuffers (Args::requireSharedBuffers),
// which JS cannot resize, transfer or detach, and the typed arrays are held by persistent references until
// the job finishes, so their memory stays where the checked pointers say for as long as the kernel runs.
#pragma once
#include <napi.h>

#include <functional>
#include <new>
#include <string>
#include <vector>

#include "conv_geometry.h"

namespace bp {

using Job = std::function<void()>;

class AsyncJob : public Napi::AsyncWorker {
 public:
  AsyncJob(Napi::Env env, Job job, const Napi::CallbackInfo& info)
      : Napi::AsyncWorker(env, "backprop:op"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {
    for (size_t i = 0; i < info.Length(); i++) {
      if (info[i].IsObject()) held_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    }
  }
  // A failure the kernel finds while it runs (an index out of range, no memory for scratch) rejects the
  // promise with a RangeError, as the synchronous op throws one.
  void Execute() override {
    try {
      job_();
    } catch (const KernelRangeError& e) {
      rangeError_ = e.what();
    } catch (const std::bad_alloc&) {
      rangeError_ = "not enough memory for the kernel's scratch space";
    }
  }
  void OnOK() override {
    if (rangeError_.empty()) deferred_.Resolve(Env().Undefined());
    else deferred_.Reject(Napi::RangeError::New(Env(), rangeError_).Value());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 private:
  Job job_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> held_;
  std::string rangeError_;
};

inline Napi::Value queueJob(const Napi::CallbackInfo& info, Job job) {
  auto* w = new AsyncJob(info.Env(), std::move(job), info);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace bp
