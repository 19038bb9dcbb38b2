// A small persistent pool of worker threads for the convolution and pooling kernels: a call splits its batch
// into a fixed number of chunks (set by the BLAS thread count, bp.setThreads), and the chunks run on the calling
// thread and the workers, each taking the next chunk when it is free. The split depends only on the chunk count, never on which thread runs a chunk, and
// reductions over chunks happen in chunk order afterwards, so results are the same whether the chunks run in
// parallel or, when another call holds the pool, one after another on the caller.
#pragma once
#include <cstddef>
#include <functional>

namespace bp {

// Runs fn(chunk) for every chunk in [0, chunks), each exactly once, and returns when all are done. The first
// exception a chunk throws is rethrown here (the other chunks still run to completion).
void parallelChunks(size_t chunks, const std::function<void(size_t)>& fn);

// The number of chunks work of `items` independent items should be split into: 1 with one BLAS thread, else four
// per BLAS thread (at most `items`, at least 1). It depends on the thread count only, never on timing.
size_t chunkCount(size_t items);

}  // namespace bp
