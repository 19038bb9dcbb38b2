// A process group over Gloo (the collectives library PyTorch's CPU DistributedDataParallel uses): two Gloo
// contexts connected full mesh over TCP (one for gradient buckets, in sync mode; one for the other collectives:
// group.cc says why), and one communication thread that runs the group's collectives in
// the order JS queued them. Every rank queues the same collectives in the same order (the training loop is
// deterministic), which is what Gloo needs; gradients of later layers are summed over the network while
// backward computes earlier layers. One exception: reduceNow sums buckets on the calling thread, blocking, when
// that thread has nothing else to do and the communication thread is idle (group.cc says when).
//
// Failures: Gloo reports errors (a peer gone, a timeout, a bad address) by throwing C++ exceptions. Every Gloo
// call runs inside a try block; the first error is kept, every later collective
// is skipped, and the pending flush() or connect promise rejects with it. Nothing Gloo throws reaches Node.
#pragma once
#include <napi.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/device.h>

namespace bpgloo {

// A contiguous run of a typed array that a bucket gathers (a parameter's gradient).
struct Part {
  void* data;
  size_t length;  // elements
};

// A bucket: the parts it gathers, in order, into one buffer of their total length; reduced as one allreduce.
struct Bucket {
  bool f64;
  void* buffer;
  size_t length;
  std::vector<Part> parts;
  // Divide the sum by the world size (gradients: the mean over ranks); control vectors keep the sum.
  bool divide;
  // Reduced while this rank's main thread has nothing left to do but wait for it (the step's last buckets):
  // the communication thread busy-polls its sockets instead of sleeping in them (group.cc says why).
  bool spin = false;
};

// A collective (or connect, flush, stop) queued for the communication thread.
struct Op {
  enum Kind { kConnect, kReduce, kAllreduce, kBroadcast, kBarrier, kFlush, kStop } kind = kFlush;
  uint64_t seq = 0;
  uint64_t deferred = 0;  // connect, flush, stop: the promise to settle
  std::string dir;        // connect: a directory (Gloo's FileStore), or empty for the JS store
  size_t bucket = 0;
  void* data = nullptr;
  size_t length = 0;
  bool f64 = false;
  int root = 0;
};

struct StoreRequest;
struct State;

class Group : public Napi::ObjectWrap<Group> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Group(const Napi::CallbackInfo& info);
  ~Group() override;

 private:
  Napi::Value ConnectFile(const Napi::CallbackInfo& info);
  Napi::Value ConnectStore(const Napi::CallbackInfo& info);
  Napi::Value StoreReply(const Napi::CallbackInfo& info);
  Napi::Value AddBucket(const Napi::CallbackInfo& info);
  Napi::Value ClearBuckets(const Napi::CallbackInfo& info);
  Napi::Value SegmentBytes(const Napi::CallbackInfo& info);
  Napi::Value SetSegmentBytes(const Napi::CallbackInfo& info);
  Napi::Value Reduce(const Napi::CallbackInfo& info);
  Napi::Value ReduceNow(const Napi::CallbackInfo& info);
  Napi::Value Allreduce(const Napi::CallbackInfo& info);
  Napi::Value Broadcast(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Failure(const Napi::CallbackInfo& info);

  Napi::Value Connect(const Napi::CallbackInfo& info, const std::string& dir);
  // A promise settled from the communication thread (connect, flush, close); keeps Node alive while pending.
  Napi::Promise Pending(Napi::Env env, uint64_t* id);
  void Hold(const Napi::Value& v);
  void Enqueue(Op op);
  void RequireOpen(Napi::Env env, const char* method) const;

  std::shared_ptr<State> state_;
  std::thread thread_;
  bool closed_ = false;
  bool connectCalled_ = false;  // connectFile or connectStore, once per Group
  // Typed arrays the queued collectives use, kept alive until the next flush settles (main thread only).
  std::deque<std::pair<uint64_t, Napi::ObjectReference>> held_;
  uint64_t queued_ = 0;
  // Arrays of the buckets (until clearBuckets).
  std::vector<Napi::ObjectReference> bucketArrays_;
  Napi::FunctionReference storeFn_;
  std::map<uint64_t, Napi::Promise::Deferred> deferred_;
  uint64_t nextDeferred_ = 1;
  Napi::ThreadSafeFunction tsfn_;
  int refs_ = 0;

  friend struct Settler;
  friend void SettleOnMain(Napi::Env env, Napi::Function, void* data);
};

}  // namespace bpgloo
