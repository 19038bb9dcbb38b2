// setAffinity(cpus): binds every thread of this process to the given CPUs. `backprop launch` gives each rank
// its own cores (BACKPROP_CPUS, read by distributed.init): unbound, a rank's communication thread wakes on
// whichever core is free, often the other rank's, and the two ranks' steps drift apart by several ms each
// step, which the faster one then waits out (the keras CNN, 2 ranks on 2 cores: 5-9 ms against 3-5 ms bound).
#include "affinity.h"

#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bpgloo {

Napi::Value SetAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string fix = "setAffinity: expected an array of CPU numbers in [0, " + std::to_string(CPU_SETSIZE) + ")";
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, fix);
  auto list = info[0].As<Napi::Array>();
  const uint32_t n = list.Length();
  if (n == 0 || n > CPU_SETSIZE) throw Napi::RangeError::New(env, fix);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, fix);
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d < CPU_SETSIZE) || d != static_cast<double>(static_cast<int>(d)))
      throw Napi::RangeError::New(env, fix);
    CPU_SET(static_cast<int>(d), &set);
  }
  // The calling thread first: its error (no CPU of the set available to this process) is the one to report.
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    throw Napi::Error::New(env, std::string("setAffinity: ") + std::strerror(errno));
  // Then every other thread that exists now (Node's and V8's); threads started later inherit their creator's.
  uint32_t bound = 1;
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      char* end = nullptr;
      const long tid = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || tid <= 0 || tid == self) continue;
      // A thread that ended meanwhile (ESRCH) has nothing left to bind.
      if (sched_setaffinity(static_cast<pid_t>(tid), sizeof(set), &set) == 0) bound++;
    }
    closedir(dir);
  }
  return Napi::Number::New(env, bound);
}

}  // namespace bpgloo
