# CMake toolchain for the linux-arm64 prebuilt addon (scripts/prebuild.sh linux-arm64): Debian's aarch64 cross
# compiler (apt-get install g++-aarch64-linux-gnu) and its sysroot; OpenBLAS comes from libopenblas-dev:arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
