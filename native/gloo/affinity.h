// Binding this process's threads to CPUs (affinity.cc).
#pragma once
#include <napi.h>

namespace bpgloo {

// setAffinity(cpus: number[]): the number of threads bound.
Napi::Value SetAffinity(const Napi::CallbackInfo& info);

}  // namespace bpgloo
