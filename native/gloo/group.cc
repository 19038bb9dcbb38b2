// The process group (group.h): JS-facing methods on the main thread, collectives on the communication thread.
#include "group.h"

#include <arpa/inet.h>

#include <gloo/allreduce.h>
#include <gloo/allreduce_halving_doubling.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <utility>

#include <pthread.h>

namespace bpgloo {

using ms = std::chrono::milliseconds;

// What the main thread and the communication thread share. The thread holds its own shared_ptr, so a Group
// collected (or a process exiting) while the thread still runs leaves nothing dangling.
struct State {
  int rank = 0;
  int size = 1;
  std::string address;
  ms timeout{30000};

  std::mutex m;
  std::condition_variable cv;
  std::deque<Op> queue;
  bool stop = false;
  std::string error;  // the first failure; every later collective is skipped
  std::deque<Bucket> buckets;
  std::map<uint64_t, std::shared_ptr<StoreRequest>> requests;
  uint64_t nextRequest = 1;
  bool connected = false;
  bool envGone = false;  // Node's environment is being torn down: the thread-safe function is off limits
  // A collective is running, on the communication thread or (reduceNow) on the main thread.
  bool active = false;

  // Used by whoever runs a collective (`active`: the communication thread, or reduceNow on the main thread);
  // clearBuckets empties bucketRuns only while nothing is active or queued.
  std::shared_ptr<gloo::transport::Device> dev;
  std::shared_ptr<gloo::rendezvous::Context> ctx;
  // The gradient buckets' own connections, in Gloo's sync mode (see reduceBucket), and per bucket the
  // allreduces of its segments, made on the bucket's first reduce (every rank in the same order).
  std::shared_ptr<gloo::rendezvous::Context> gradCtx;
  std::vector<std::vector<std::unique_ptr<gloo::Algorithm>>> bucketRuns;
  bool spinning = false;  // gradCtx's pairs busy-poll
  // Bytes per segment of a bucket's allreduce: every rank must cut its buckets alike (setSegmentBytes), so the
  // group uses the smallest of its machines' segmentBytes(); 0 until then: this machine's.
  size_t segment = 0;
  uint32_t tag = 0;

  Napi::ThreadSafeFunction tsfn;
  Group* owner = nullptr;  // valid while a promise is pending (the Group is then referenced)
};

// One call of the JS store (set / get / wait) made by Gloo's rendezvous on the communication thread.
struct StoreRequest {
  uint64_t id = 0;
  std::string op;
  std::string key;
  std::vector<char> data;
  int64_t timeoutMs = 0;
  bool done = false;
  std::string error;
  std::vector<char> result;
};

// A message from the communication thread to the main thread.
struct Settler {
  enum Kind { kSettle, kStoreCall } kind;
  std::shared_ptr<State> state;
  uint64_t deferred = 0;
  uint64_t seq = 0;
  std::string error;
  std::vector<std::string> strings;
  std::shared_ptr<StoreRequest> request;
  bool stopped = false;
};

void SettleOnMain(Napi::Env env, Napi::Function, void* data);

namespace {

// Hands a message to the main thread; false when Node is shutting down (the caller still owns msg). Under the
// state's lock: once envGone is set there (by the environment's cleanup hook), the thread-safe function may be
// freed at any moment, so nothing may call it. BlockingCall never blocks here (the queue is unbounded).
bool send(State& s, Settler* msg) {
  std::lock_guard<std::mutex> lock(s.m);
  if (s.envGone) return false;
  return s.tsfn.BlockingCall(msg, [](Napi::Env env, Napi::Function fn, Settler* m) { SettleOnMain(env, fn, m); }) ==
         napi_ok;
}

// Node is tearing the environment down (the process exits without destroy()): the thread-safe function goes next
// (this hook was added after it, and hooks run in reverse), and the communication thread must not touch it.
void envGone(void* arg) {
  auto* weak = static_cast<std::weak_ptr<State>*>(arg);
  if (auto s = weak->lock()) {
    {
      std::lock_guard<std::mutex> lock(s->m);
      s->envGone = true;
      s->stop = true;
    }
    s->cv.notify_all();
  }
  delete weak;
}

Op makeOp(Op::Kind kind) {
  Op op;
  op.kind = kind;
  return op;
}

std::string describe(const std::exception& e) {
  std::string s = e.what();
  // Gloo prefixes messages with its source location ("[.../pair.cc:589] Connection closed by peer ...").
  if (!s.empty() && s[0] == '[') {
    auto end = s.find("] ");
    if (end != std::string::npos) s = s.substr(end + 2);
  }
  return s;
}

// Gloo's FileStore waits 30 s for a key whatever the group's timeout; this one waits the group's timeout.
class TimedFileStore : public gloo::rendezvous::FileStore {
 public:
  TimedFileStore(const std::string& dir, ms timeout) : FileStore(dir), timeout_(timeout) {}
  void wait(const std::vector<std::string>& keys) override { FileStore::wait(keys, timeout_); }
  using FileStore::wait;

 private:
  ms timeout_;
};

// A store whose keys live wherever the JS side keeps them (Redis with a password and TLS, as the queue uses
// it): each call is handed to the main thread, which answers through Group.storeReply.
class BridgeStore : public gloo::rendezvous::Store {
 public:
  explicit BridgeStore(std::shared_ptr<State> s) : s_(std::move(s)) {}
  void set(const std::string& key, const std::vector<char>& data) override { call("set", key, data); }
  std::vector<char> get(const std::string& key) override { return call("get", key, {}); }
  void wait(const std::vector<std::string>& keys) override { wait(keys, s_->timeout); }
  void wait(const std::vector<std::string>& keys, const ms& timeout) override {
    for (const auto& k : keys) call("wait", k, {}, timeout);
  }

 private:
  std::vector<char> call(const char* op, const std::string& key, const std::vector<char>& data) {
    return call(op, key, data, s_->timeout);
  }
  std::vector<char> call(const char* op, const std::string& key, const std::vector<char>& data, ms timeout) {
    auto req = std::make_shared<StoreRequest>();
    req->op = op;
    req->key = key;
    req->data = data;
    req->timeoutMs = timeout.count();
    {
      std::lock_guard<std::mutex> lock(s_->m);
      req->id = s_->nextRequest++;
      s_->requests[req->id] = req;
    }
    auto* msg = new Settler{Settler::kStoreCall, s_, 0, 0, "", {}, req};
    if (!send(*s_, msg)) {
      delete msg;
      forget(req->id);
      throw std::runtime_error("the store cannot be reached: Node is shutting down");
    }
    std::unique_lock<std::mutex> lock(s_->m);
    // The JS store applies the timeout itself; this is a backstop if it never answers.
    bool answered = s_->cv.wait_for(lock, timeout + ms(10000), [&] { return req->done || s_->stop; });
    s_->requests.erase(req->id);
    if (!answered || !req->done) throw std::runtime_error(std::string("the store did not answer a ") + op);
    if (!req->error.empty()) throw std::runtime_error(req->error);
    return req->result;
  }
  void forget(uint64_t id) {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->requests.erase(id);
  }
  std::shared_ptr<State> s_;
};

void post(const std::shared_ptr<State>& s, Settler* msg) {
  if (!send(*s, msg)) delete msg;  // Node is shutting down: nobody waits any more
}

// Gloo's default ring sends 2 * size segments each way, one message per hop, so a collective costs about
// 4 * (size - 1) message latencies even when small; bcube (recursive halving and doubling over the factors of the
// group size) costs 2 * log2(size) exchanges. Used for the occasional collectives (checks, metrics, stop votes).
constexpr auto kAllreduceAlgorithm = gloo::AllreduceOptions::Algorithm::BCUBE;

// Gradient buckets, every step, take another path. Gloo's default (async) pairs hand each message to a loop
// thread that wakes the waiting thread: two or more thread wakeups per message, which on a 2-core machine with
// both cores busy cost more than the transfer (0.94 MB: 3-4 ms per allreduce). Their own context runs in Gloo's
// sync mode, where the communication thread reads and writes its sockets itself (blocking, within the group's
// timeout, no busy polling: ranks may outnumber cores), with halving-doubling over buffers bound once per bucket.
// A sync-mode send blocks until the socket buffers take the whole message, and in halving-doubling both sides
// of an exchange send before they receive. Gloo asks for a send buffer of the message's size, which Linux grants
// up to net.core.wmem_max (and doubles for its bookkeeping): each allreduce therefore covers a segment of at most
// wmem_max bytes (the smallest of the group's machines': every rank must cut a bucket alike, setSegmentBytes),
// so no message (half a segment or less) outgrows its send buffer and two sends can never wait on each other.
// Each chunk is summed by one rank in a fixed order and sent to the others, so every rank holds the same bits and
// a run repeats bit for bit at a given group size.
constexpr size_t kFloor = 128 * 1024, kCeiling = 16 * 1024 * 1024;
size_t segmentBytes() {
  size_t wmemMax = 0;
  if (FILE* f = std::fopen("/proc/sys/net/core/wmem_max", "r")) {
    unsigned long long v = 0;
    if (std::fscanf(f, "%llu", &v) == 1) wmemMax = static_cast<size_t>(v);
    std::fclose(f);
  }
  // Unreadable, or below Linux's own default (208 KB): what the default surely gives.
  if (wmemMax < kFloor) return kFloor;
  return std::min(wmemMax, kCeiling) & ~static_cast<size_t>(7);  // whole float64s: setSegmentBytes takes it
}

template <typename T>
std::vector<std::unique_ptr<gloo::Algorithm>> bucketSegments(State& s, T* buf, size_t length) {
  std::vector<std::unique_ptr<gloo::Algorithm>> runs;
  static const size_t here = segmentBytes();
  const size_t step = (s.segment ? s.segment : here) / sizeof(T);
  for (size_t off = 0; off < length; off += step) {
    const int count = static_cast<int>(std::min(step, length - off));
    runs.emplace_back(new gloo::AllreduceHalvingDoubling<T>(s.gradCtx, {buf + off}, count));
  }
  return runs;
}

// A sync-mode pair either sleeps in recv until data arrives or busy-polls (non-blocking recv in a loop, still
// within the timeout). Sleeping costs a wakeup per message, which on a virtual machine means an idle vCPU's
// halt and its wakeup through the host: for the step's last buckets, summed while the main thread only waits,
// busy polling measured 0.44 against 0.72 ms per 0.94 MB allreduce over 2 ranks on 127.0.0.1. Buckets reduced
// while backward still runs keep sleeping: a spinning thread would take the core backward needs. Setting the
// mode of a pair that is already in sync mode only sets the flag the receive loop reads (this thread's own).
void setSpinning(State& s, bool spin) {
  if (s.spinning == spin) return;
  for (int i = 0; i < s.size; i++)
    if (i != s.rank) s.gradCtx->getPair(i)->setSync(true, spin);
  s.spinning = spin;
}

template <typename T>
void reduceBucket(State& s, Bucket& b, size_t index) {
  T* buf = static_cast<T*>(b.buffer);
  const bool inPlace = b.parts.size() == 1 && b.parts[0].data == b.buffer;
  if (!inPlace) {
    size_t off = 0;
    for (const Part& p : b.parts) {
      std::memcpy(buf + off, p.data, p.length * sizeof(T));
      off += p.length;
    }
  }
  if (s.bucketRuns.size() <= index) s.bucketRuns.resize(index + 1);
  auto& runs = s.bucketRuns[index];
  if (runs.empty()) runs = bucketSegments(s, buf, b.length);
  setSpinning(s, b.spin);
  for (auto& r : runs) r->run();
  if (!b.divide && inPlace) return;
  const T n = static_cast<T>(s.size);
  size_t off = 0;
  for (const Part& p : b.parts) {
    T* out = static_cast<T*>(p.data);
    if (b.divide)
      for (size_t i = 0; i < p.length; i++) out[i] = buf[off + i] / n;
    else
      std::memcpy(out, buf + off, p.length * sizeof(T));
    off += p.length;
  }
  if (b.parts.empty() && b.divide)
    for (size_t i = 0; i < b.length; i++) buf[i] /= n;
}

// A bucket's allreduce in its dtype (the communication thread's queue, or reduceNow).
void reduceAny(State& s, Bucket& b, size_t index) {
  if (b.f64) reduceBucket<double>(s, b, index);
  else reduceBucket<float>(s, b, index);
}

// Runs `f`, turning anything it throws into the group's error message ("" when it returned).
template <typename F>
std::string guarded(F&& f) {
  try {
    f();
    return "";
  } catch (const std::exception& e) {
    return describe(e);
  } catch (...) {
    return "an unknown C++ exception";
  }
}

// For methods that use the connections or the buckets from the main thread, with the state's lock held: refused
// while anything queued has not run (the communication thread owns them then).
void requireIdle(Napi::Env env, const State& s, const char* method) {
  if (!s.queue.empty() || s.active)
    throw Napi::Error::New(env, std::string(method) + ": collectives are still queued; await flush() first");
}

// Records a collective's end: its failure, if the group's first, and that the connections are free again.
void finished(State& s, const std::string& error) {
  std::lock_guard<std::mutex> lock(s.m);
  if (!error.empty() && s.error.empty()) s.error = error;
  s.active = false;
}

template <typename T>
void allreduceSum(State& s, T* data, size_t n) {
  gloo::AllreduceOptions o(s.ctx);
  o.setOutput<T>(data, n);
  o.setReduceFunction(static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<T>));
  o.setTag(s.tag++);
  o.setAlgorithm(kAllreduceAlgorithm);
  gloo::allreduce(o);
}

template <typename T>
void broadcastFrom(State& s, T* data, size_t n, int root) {
  gloo::BroadcastOptions o(s.ctx);
  o.setOutput<T>(data, n);
  o.setRoot(root);
  o.setTag(s.tag++);
  gloo::broadcast(o);
}

// Connects both contexts (collectives, and gradient buckets in sync mode) through one store.
void connectContexts(const std::shared_ptr<State>& s, gloo::rendezvous::Store& store) {
  auto ctx = std::make_shared<gloo::rendezvous::Context>(s->rank, s->size);
  ctx->setTimeout(s->timeout);
  ctx->connectFullMesh(store, s->dev);
  auto gradCtx = std::make_shared<gloo::rendezvous::Context>(s->rank, s->size);
  gradCtx->setTimeout(s->timeout);  // also the sockets' send and receive timeouts in sync mode
  gloo::rendezvous::PrefixStore gradStore("grad", store);
  gradCtx->connectFullMesh(gradStore, s->dev);
  for (int i = 0; i < s->size; i++)
    if (i != s->rank) gradCtx->getPair(i)->setSync(true, false);
  s->ctx = ctx;
  s->gradCtx = gradCtx;
}

void connect(const std::shared_ptr<State>& s, const Op& op, std::vector<std::string>* keyFiles) {
  gloo::transport::tcp::attr attr;
  attr.hostname = s->address;
  s->dev = gloo::transport::tcp::CreateDevice(attr);
  if (!op.dir.empty()) {
    TimedFileStore store(op.dir, s->timeout);
    try {
      connectContexts(s, store);
    } catch (...) {
      // A key left behind would make the next run's set of it abort the process: remove what this rank wrote.
      for (const auto& f : store.getAllKeyFilePaths()) std::remove(f.c_str());
      throw;
    }
    *keyFiles = store.getAllKeyFilePaths();
  } else {
    BridgeStore store(s);
    connectContexts(s, store);
  }
}

void run(std::shared_ptr<State> s) {
  // Named, so `top -H` and profilers tell the communication thread from Node's and the BLAS pool's.
  pthread_setname_np(pthread_self(), "bp-gloo");
  for (;;) {
    Op op;
    Bucket* bucket = nullptr;
    std::string failed;
    bool unconnected = false;
    {
      std::unique_lock<std::mutex> lock(s->m);
      s->cv.wait(lock, [&] { return !s->queue.empty() || s->stop; });
      if (s->queue.empty()) break;
      op = s->queue.front();
      s->queue.pop_front();
      if (op.kind == Op::kReduce) bucket = &s->buckets[op.bucket];
      failed = s->error;
      // A collective queued before any connect (JS may queue in any order) has no Gloo context to run on.
      unconnected = !s->connected && op.kind != Op::kConnect && op.kind != Op::kFlush && op.kind != Op::kStop;
      s->active = true;
    }
    std::string error;
    std::vector<std::string> strings;
    if (op.kind == Op::kStop) {
      // Destroying the context closes its connections; done here, where Gloo ran.
      try {
        s->bucketRuns.clear();
        s->gradCtx.reset();
        s->ctx.reset();
        s->dev.reset();
      } catch (const std::exception& e) {
        error = describe(e);
      }
      post(s, new Settler{Settler::kSettle, s, op.deferred, op.seq, error, {}, nullptr, true});
      break;
    }
    if (failed.empty() && unconnected) {
      error = "a collective was queued before the group connected (await connect first)";
    } else if (failed.empty() && op.kind != Op::kFlush) {
      error = guarded([&] {
        switch (op.kind) {
          case Op::kConnect:
            connect(s, op, &strings);
            break;
          case Op::kReduce:
            reduceAny(*s, *bucket, op.bucket);
            break;
          case Op::kAllreduce:
            if (op.f64) allreduceSum(*s, static_cast<double*>(op.data), op.length);
            else allreduceSum(*s, static_cast<float*>(op.data), op.length);
            break;
          case Op::kBroadcast:
            if (op.f64) broadcastFrom(*s, static_cast<double*>(op.data), op.length, op.root);
            else broadcastFrom(*s, static_cast<float*>(op.data), op.length, op.root);
            break;
          case Op::kBarrier: {
            gloo::BarrierOptions o(s->ctx);
            o.setTag(s->tag++);
            gloo::barrier(o);
            break;
          }
          default:
            break;
        }
      });
      if (op.kind == Op::kConnect && error.empty()) {
        std::lock_guard<std::mutex> lock(s->m);
        s->connected = true;
      }
    }
    // Before the settle below: a flush that resolves finds the thread idle (reduceNow relies on it).
    finished(*s, error);
    if (op.deferred) {
      std::string why = failed.empty() ? error : failed;
      post(s, new Settler{Settler::kSettle, s, op.deferred, op.seq, why, std::move(strings), nullptr});
    }
  }
  std::lock_guard<std::mutex> lock(s->m);
  if (!s->envGone) s->tsfn.Release();
}

// Typed-array arguments: float32 or float64 over a non-growable SharedArrayBuffer, which JS cannot detach,
// transfer or shrink while the communication thread reads and writes it.
struct Array {
  void* data;
  size_t length;
  bool f64;
};

Array sharedFloatArray(Napi::Env env, Napi::Value v, const std::string& what) {
  const std::string fix = what + " must be a Float32Array or Float64Array over a non-growable SharedArrayBuffer";
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, fix);
  auto ta = v.As<Napi::TypedArray>();
  auto type = ta.TypedArrayType();
  if (type != napi_float32_array && type != napi_float64_array) throw Napi::TypeError::New(env, fix);
  napi_value buffer = nullptr;
  void* first = nullptr;
  bool isArrayBuffer = true;
  if (napi_get_typedarray_info(env, v, nullptr, nullptr, &first, &buffer, nullptr) != napi_ok ||
      napi_is_arraybuffer(env, buffer, &isArrayBuffer) != napi_ok || isArrayBuffer)
    throw Napi::TypeError::New(env, fix + " (it is backed by an ArrayBuffer)");
  if (Napi::Value(env, buffer).As<Napi::Object>().Get("growable").ToBoolean().Value())
    throw Napi::TypeError::New(env, fix + " (it is growable)");
  // Read after the checks that may run JS (the getter above): a shared buffer never moves or shrinks.
  bool f64 = type == napi_float64_array;
  size_t length = ta.ElementLength();
  // The element pointer napi_get_typedarray_info gives (Napi::ArrayBuffer refuses a SharedArrayBuffer).
  return Array{first, length, f64};
}

int64_t integerArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(env, std::string("'") + name + "' must be an integer");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != static_cast<double>(static_cast<int64_t>(d)))
    throw Napi::RangeError::New(env, std::string("'") + name + "' must be an integer in [" + std::to_string(lo) +
                                         ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(d);
}

}  // namespace

// Runs on the main thread for each message of the communication thread.
void SettleOnMain(Napi::Env env, Napi::Function, void* data) {
  std::unique_ptr<Settler> msg(static_cast<Settler*>(data));
  if (env == nullptr) return;  // Node is shutting down
  Group* g = msg->state->owner;
  if (g == nullptr) return;
  Napi::HandleScope scope(env);
  if (msg->kind == Settler::kStoreCall) {
    auto& r = *msg->request;
    auto reply = [&](const std::string& error) {
      std::lock_guard<std::mutex> lock(msg->state->m);
      r.error = error;
      r.done = true;
      msg->state->cv.notify_all();
    };
    if (g->storeFn_.IsEmpty()) return reply("no store to call");
    try {
      auto buf = Napi::Buffer<char>::Copy(env, r.data.data(), r.data.size());
      g->storeFn_.Call({Napi::String::New(env, r.op), Napi::String::New(env, r.key), buf,
                        Napi::Number::New(env, static_cast<double>(r.timeoutMs)),
                        Napi::Number::New(env, static_cast<double>(r.id))});
    } catch (const Napi::Error& e) {
      reply(e.Message());
    }
    return;
  }
  auto it = g->deferred_.find(msg->deferred);
  if (it == g->deferred_.end()) return;
  Napi::Promise::Deferred d = it->second;
  g->deferred_.erase(it);
  // Arrays of the collectives queued before this one are no longer used.
  while (!g->held_.empty() && g->held_.front().first < msg->seq) g->held_.pop_front();
  if (msg->stopped && g->thread_.joinable()) g->thread_.join();  // it has nothing left but to end
  if (--g->refs_ == 0) {
    g->tsfn_.Unref(env);
    g->Unref();
  }
  if (msg->error.empty()) {
    auto list = Napi::Array::New(env, msg->strings.size());
    for (size_t i = 0; i < msg->strings.size(); i++) list.Set(i, Napi::String::New(env, msg->strings[i]));
    d.Resolve(list);
  } else {
    d.Reject(Napi::Error::New(env, msg->error).Value());
  }
}

Napi::Function Group::Define(Napi::Env env) {
  return DefineClass(env, "Group",
                     {
                         InstanceMethod<&Group::ConnectFile>("connectFile"),
                         InstanceMethod<&Group::ConnectStore>("connectStore"),
                         InstanceMethod<&Group::StoreReply>("storeReply"),
                         InstanceMethod<&Group::AddBucket>("addBucket"),
                         InstanceMethod<&Group::ClearBuckets>("clearBuckets"),
                         InstanceMethod<&Group::SegmentBytes>("segmentBytes"),
                         InstanceMethod<&Group::SetSegmentBytes>("setSegmentBytes"),
                         InstanceMethod<&Group::Reduce>("reduce"),
                         InstanceMethod<&Group::ReduceNow>("reduceNow"),
                         InstanceMethod<&Group::Allreduce>("allreduce"),
                         InstanceMethod<&Group::Broadcast>("broadcast"),
                         InstanceMethod<&Group::Barrier>("barrier"),
                         InstanceMethod<&Group::Flush>("flush"),
                         InstanceMethod<&Group::Close>("close"),
                         InstanceMethod<&Group::Failure>("failure"),
                     });
}

// new Group(rank, size, address, timeoutMs): address is an IP literal the JS side checked (never a name to
// resolve: the interface is the user's choice, not a guess).
Group::Group(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Group>(info) {
  Napi::Env env = info.Env();
  state_ = std::make_shared<State>();
  state_->size = static_cast<int>(integerArg(info, 1, "worldSize", 1, 1 << 16));
  state_->rank = static_cast<int>(integerArg(info, 0, "rank", 0, state_->size - 1));
  if (info.Length() < 3 || !info[2].IsString()) throw Napi::TypeError::New(env, "'address' must be a string");
  state_->address = info[2].As<Napi::String>().Utf8Value();
  // Checked again here: Gloo resolves anything else as a host name, and crashes on one that does not resolve.
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, state_->address.c_str(), &v4) != 1 && inet_pton(AF_INET6, state_->address.c_str(), &v6) != 1)
    throw Napi::TypeError::New(env, "'address' must be an IPv4 or IPv6 address (an interface's, not a host name)");
  state_->timeout = ms(integerArg(info, 3, "timeoutMs", 1, 24LL * 3600 * 1000));
  state_->owner = this;
  auto noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "backprop:gloo", 0, 1);
  tsfn_.Unref(env);
  state_->tsfn = tsfn_;
  if (napi_add_env_cleanup_hook(env, envGone, new std::weak_ptr<State>(state_)) != napi_ok)
    throw Napi::Error::New(env, "Group: could not register the environment's cleanup hook");
  thread_ = std::thread(run, state_);
}

Group::~Group() {
  state_->owner = nullptr;
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(state_->m);
      state_->stop = true;
    }
    state_->cv.notify_all();
    // The thread may be inside a collective that waits for a peer (up to the timeout): it finishes on its own
    // and keeps its state alive; nothing here may wait for it or destroy a joinable thread.
    thread_.detach();
  }
}

void Group::RequireOpen(Napi::Env env, const char* method) const {
  if (closed_) throw Napi::Error::New(env, std::string(method) + ": the process group is closed");
}

Napi::Promise Group::Pending(Napi::Env env, uint64_t* id) {
  *id = nextDeferred_++;
  auto d = Napi::Promise::Deferred::New(env);
  deferred_.emplace(*id, d);
  if (refs_++ == 0) {
    Ref();
    tsfn_.Ref(env);
  }
  return d.Promise();
}

// Keeps `v` alive until the collective queued next has run.
void Group::Hold(const Napi::Value& v) { held_.emplace_back(queued_ + 1, Napi::Persistent(v.As<Napi::Object>())); }

void Group::Enqueue(Op op) {
  op.seq = ++queued_;
  {
    std::lock_guard<std::mutex> lock(state_->m);
    state_->queue.push_back(op);
  }
  state_->cv.notify_all();
}

Napi::Value Group::Connect(const Napi::CallbackInfo& info, const std::string& dir) {
  Napi::Env env = info.Env();
  RequireOpen(env, "connect");
  // A second rendezvous would set the same store keys again, which Gloo's stores answer by aborting the process.
  if (connectCalled_) throw Napi::Error::New(env, "connect: a group connects once (make a new Group)");
  connectCalled_ = true;
  if (dir.empty()) storeFn_ = Napi::Persistent(info[0].As<Napi::Function>());
  Op op = makeOp(Op::kConnect);
  op.dir = dir;
  Napi::Promise p = Pending(env, &op.deferred);
  Enqueue(op);
  return p;
}

// connectFile(dir): Gloo's FileStore in `dir` (a fresh per-run directory the JS side made). Resolves with the
// key files this rank wrote, for cleanup.
Napi::Value Group::ConnectFile(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty())
    throw Napi::TypeError::New(info.Env(), "connectFile: 'dir' must be a directory path");
  return Connect(info, info[0].As<Napi::String>().Utf8Value());
}

// connectStore(fn): a store implemented in JS; fn(op, key, data, timeoutMs, id) answers with storeReply.
Napi::Value Group::ConnectStore(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction())
    throw Napi::TypeError::New(info.Env(), "connectStore: expected a function (op, key, data, timeoutMs, id)");
  return Connect(info, "");
}

// storeReply(id, error | null, data | null)
Napi::Value Group::StoreReply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t id = static_cast<uint64_t>(integerArg(info, 0, "id", 1, 1LL << 52));
  std::string error;
  if (info.Length() > 1 && info[1].IsString()) error = info[1].As<Napi::String>().Utf8Value();
  std::vector<char> data;
  if (info.Length() > 2 && info[2].IsBuffer()) {
    auto b = info[2].As<Napi::Buffer<char>>();
    if (b.Length() > (1u << 20)) error = "a store value is larger than 1 MiB";
    else data.assign(b.Data(), b.Data() + b.Length());
  } else if (error.empty() && info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined()) {
    throw Napi::TypeError::New(env, "storeReply: 'data' must be a Buffer or null");
  }
  std::lock_guard<std::mutex> lock(state_->m);
  auto it = state_->requests.find(id);
  if (it == state_->requests.end()) return env.Undefined();  // timed out meanwhile
  it->second->error = error;
  it->second->result = std::move(data);
  it->second->done = true;
  state_->cv.notify_all();
  return env.Undefined();
}

// addBucket(buffer, parts, divide, spin): returns the bucket's index. `parts` are the arrays it gathers (their
// whole length, in order) into `buffer`, whose length must be their total; with a single part, buffer may be it.
// `spin`: this rank busy-polls while the bucket is summed (Bucket::spin; a rank's own choice, peers need not agree).
Napi::Value Group::AddBucket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "addBucket");
  if (info.Length() < 4 || !info[1].IsArray() || !info[2].IsBoolean() || !info[3].IsBoolean())
    throw Napi::TypeError::New(env, "addBucket: expected (buffer, parts[], divide, spin)");
  Array buf = sharedFloatArray(env, info[0], "addBucket: 'buffer'");
  auto list = info[1].As<Napi::Array>();
  const bool divide = info[2].As<Napi::Boolean>().Value(), spin = info[3].As<Napi::Boolean>().Value();
  Bucket b{buf.f64, buf.data, buf.length, {}, divide, spin};
  size_t total = 0;
  std::vector<Napi::Value> arrays{info[0]};
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    Array a = sharedFloatArray(env, v, "addBucket: parts[" + std::to_string(i) + "]");
    if (a.f64 != buf.f64) throw Napi::TypeError::New(env, "addBucket: parts and buffer must have one dtype");
    b.parts.push_back(Part{a.data, a.length});
    total += a.length;
    arrays.push_back(v);
  }
  if (!b.parts.empty() && total != buf.length)
    throw Napi::RangeError::New(env, "addBucket: 'buffer' has length " + std::to_string(buf.length) +
                                         " but the parts total " + std::to_string(total));
  bool inPlace = b.parts.size() == 1 && b.parts[0].data == b.buffer;
  const size_t width = buf.f64 ? 8 : 4;
  if (!inPlace) {
    auto* lo = static_cast<uint8_t*>(buf.data);
    for (const Part& p : b.parts) {
      auto* plo = static_cast<uint8_t*>(p.data);
      if (plo < lo + buf.length * width && lo < plo + p.length * width)
        throw Napi::RangeError::New(env, "addBucket: a part overlaps the buffer");
    }
  }
  for (auto& v : arrays) bucketArrays_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  std::lock_guard<std::mutex> lock(state_->m);
  state_->buckets.push_back(std::move(b));
  return Napi::Number::New(env, static_cast<double>(state_->buckets.size() - 1));
}

// clearBuckets(): forgets every bucket (and the Gloo runs bound to their buffers), so the group can take another
// model's: fit adds a model's buckets once, and a later fit of another model (or of the same model rebuilt) in
// the same group starts again from bucket 0 instead of keeping both sets alive for the group's life. Refused
// while anything queued has not run: the communication thread may be reading a bucket.
Napi::Value Group::ClearBuckets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "clearBuckets");
  {
    std::lock_guard<std::mutex> lock(state_->m);
    requireIdle(env, *state_, "clearBuckets");
    state_->buckets.clear();
    state_->bucketRuns.clear();
  }
  bucketArrays_.clear();
  return env.Undefined();
}

// segmentBytes(): the segment size this machine allows (its wmem_max, within [128 KB, 16 MB]); the group's ranks
// agree on the smallest of theirs before any bucket is summed, since every rank must cut a bucket alike.
Napi::Value Group::SegmentBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(segmentBytes()));
}

// setSegmentBytes(bytes): the group's segment size, a multiple of 8 in [128 KB, 16 MB]. Clears the buckets' runs
// (made again, cut at the new size, on each bucket's next sum); refused while anything queued has not run.
Napi::Value Group::SetSegmentBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "setSegmentBytes");
  const auto bytes = static_cast<size_t>(integerArg(info, 0, "bytes", kFloor, kCeiling));
  if (bytes % 8 != 0) throw Napi::RangeError::New(env, "setSegmentBytes: 'bytes' must be a multiple of 8");
  std::lock_guard<std::mutex> lock(state_->m);
  requireIdle(env, *state_, "setSegmentBytes");
  state_->segment = bytes;
  state_->bucketRuns.clear();
  return env.Undefined();
}

// reduce(bucket): queues the bucket's allreduce (sum, then / world size when the bucket divides).
Napi::Value Group::Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "reduce");
  size_t n;
  {
    std::lock_guard<std::mutex> lock(state_->m);
    n = state_->buckets.size();
  }
  if (n == 0) throw Napi::RangeError::New(env, "reduce: no buckets");
  Op op = makeOp(Op::kReduce);
  op.bucket = static_cast<size_t>(integerArg(info, 0, "bucket", 0, static_cast<int64_t>(n) - 1));
  Enqueue(op);
  return env.Undefined();
}

// reduceNow(from, to): sums buckets [from, to) on the calling thread, returning when they are summed (within the
// group's timeout). For a step whose backward ran on the main thread and left every bucket to its end: the main
// thread has nothing else to do, and summing there spares two thread handoffs per step (waking the communication
// thread, and its settle waking the event loop). Refused while anything queued has not run: the communication
// thread owns the connections then. A failure is the group's, as on the communication thread: it is thrown here
// and every later collective is skipped.
Napi::Value Group::ReduceNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "reduceNow");
  State& s = *state_;
  size_t n;
  {
    std::lock_guard<std::mutex> lock(s.m);
    n = s.buckets.size();
  }
  const auto from = static_cast<size_t>(integerArg(info, 0, "from", 0, static_cast<int64_t>(n)));
  const auto to = static_cast<size_t>(integerArg(info, 1, "to", static_cast<int64_t>(from), static_cast<int64_t>(n)));
  {
    std::lock_guard<std::mutex> lock(s.m);
    if (!s.error.empty()) throw Napi::Error::New(env, s.error);
    if (!s.connected) throw Napi::Error::New(env, "reduceNow: the group is not connected");
    requireIdle(env, s, "reduceNow");
    s.active = true;
  }
  // A deque: addBucket (this thread, not now) never moves its elements.
  const std::string error = guarded([&] {
    for (size_t i = from; i < to; i++) reduceAny(s, s.buckets[i], i);
  });
  finished(s, error);
  if (!error.empty()) throw Napi::Error::New(env, error);
  return env.Undefined();
}

// allreduce(array): queues a sum over ranks of `array`, in place.
Napi::Value Group::Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "allreduce");
  if (info.Length() < 1) throw Napi::TypeError::New(env, "allreduce: expected an array");
  Array a = sharedFloatArray(env, info[0], "allreduce: 'array'");
  Op op = makeOp(Op::kAllreduce);
  op.data = a.data;
  op.length = a.length;
  op.f64 = a.f64;
  Hold(info[0]);
  Enqueue(op);
  return env.Undefined();
}

// broadcast(array, root): queues a copy of root's `array` into every rank's, in place.
Napi::Value Group::Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "broadcast");
  if (info.Length() < 2) throw Napi::TypeError::New(env, "broadcast: expected (array, root)");
  Array a = sharedFloatArray(env, info[0], "broadcast: 'array'");
  Op op = makeOp(Op::kBroadcast);
  op.root = static_cast<int>(integerArg(info, 1, "root", 0, state_->size - 1));
  op.data = a.data;
  op.length = a.length;
  op.f64 = a.f64;
  Hold(info[0]);
  Enqueue(op);
  return env.Undefined();
}

Napi::Value Group::Barrier(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env(), "barrier");
  Enqueue(makeOp(Op::kBarrier));
  return info.Env().Undefined();
}

// flush(): resolves once every collective queued before it has run; rejects with the group's first failure.
Napi::Value Group::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "flush");
  Op op = makeOp(Op::kFlush);
  Napi::Promise p = Pending(env, &op.deferred);
  Enqueue(op);
  return p;
}

// close(): resolves once the communication thread has closed the connections and ended.
Napi::Value Group::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) {
    auto done = Napi::Promise::Deferred::New(env);
    done.Resolve(env.Undefined());
    return done.Promise();
  }
  closed_ = true;
  Op op = makeOp(Op::kStop);
  Napi::Promise p = Pending(env, &op.deferred);
  op.seq = ~uint64_t(0);  // everything held is released when it settles
  {
    std::lock_guard<std::mutex> lock(state_->m);
    state_->queue.push_back(op);
    state_->stop = true;
  }
  state_->cv.notify_all();
  return p;
}

Napi::Value Group::Failure(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(state_->m);
  if (state_->error.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), state_->error);
}

}  // namespace bpgloo
