{
  "targets": [
    {
      "target_name": "backprop",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/exports_dense.cc",
        "native/exports_losses.cc",
        "native/exports_optim.cc",
        "native/exports_sequence.cc",
        "native/table_call.cc",
        "native/exports_conv.cc",
        "native/conv_checks.cc",
        "native/conv_direct.cc",
        "native/winograd.cc",
        "native/thread_pool.cc",
        "native/blas_threads.cc",
        # graph-model layers
        "native/conv_depthwise.cc",
        "native/exports_conv_transpose.cc",
        "native/exports_autodiff.cc",
        "native/attention.cc",
        "native/exports_attention.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/aarch64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "defines": ["NAPI_VERSION=9", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fno-trapping-math", "-ffp-contract=off"],
      "libraries": [
        "-L/usr/lib/x86_64-linux-gnu/openblas-pthread",
        "-L/usr/lib/aarch64-linux-gnu/openblas-pthread",
        "-lopenblas"
      ]
    }
  ]
}
