// backprop_gloo.node: the distributed-training addon, a target of its own so that the main addon (and its
// prebuilt binary) never needs Gloo. src/distributed/native.ts loads it on first use.
#include <napi.h>

#include <gloo/config.h>

#include "affinity.h"
#include "group.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Group", bpgloo::Group::Define(env));
  exports.Set("setAffinity", Napi::Function::New(env, bpgloo::SetAffinity, "setAffinity"));
  exports.Set("glooVersion", Napi::String::New(env, std::to_string(GLOO_VERSION_MAJOR) + "." +
                                                        std::to_string(GLOO_VERSION_MINOR) + "." +
                                                        std::to_string(GLOO_VERSION_PATCH)));
  // The layout of the JS side's calls; a stale build is refused by the loader instead of misbehaving.
  exports.Set("abi", Napi::Number::New(env, 4));
  return exports;
}

}  // namespace

NODE_API_MODULE(backprop_gloo, Init)
