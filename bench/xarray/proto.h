/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pipe between `memattr bench` and memattr-bench-xarray, the process of
 * its own that runs upstream KVM's memory-attribute code on the kernel's own
 * XArray (bench/xarray/, GPL-2.0: it never links into memattr).
 *
 * The child first prints one line on stdout:
 *
 *   memattr-bench-xarray PROTO KERNEL NODE_BYTES CHUNK_SIZE
 *   unavailable REASON...          (a stub: the baseline could not be built)
 *
 * then reads requests on stdin, each a struct xa_req followed by @n records
 * of the request's kind, and answers each with one line:
 *
 *   ok A B C
 *   error REASON...
 *
 * Times are measured inside the child (CLOCK_MONOTONIC, as src/common/clock.h), so the
 * pipe costs nothing in them.  A space is a set of layers, one XArray (one
 * "VM") each: XA_SPACE_BOOT keeps the boot trace for the lookup rows while
 * XA_SPACE_SCRATCH takes the other workloads.
 */
#ifndef MEMATTR_BENCH_XARRAY_PROTO_H
#define MEMATTR_BENCH_XARRAY_PROTO_H

#include <stdint.h>

#define XA_PROTO_VERSION 1
#define XA_MAX_LAYERS	 16

enum xa_space { XA_SPACE_BOOT, XA_SPACE_SCRATCH, XA_SPACES };

enum xa_cmd {
	XA_RESET = 1, /* @space: free its layers, then @arg empty ones; ok 0 0 0 */
	XA_SET,	      /* @n struct xa_set_op in order; ok NS 0 0 */
	XA_GFNS,      /* @n uint64_t gfns for the next XA_GETs; ok 0 0 0 */
	XA_GET,	      /* layer @arg: each gfn looked up, best of @passes; ok NS SUM 0 */
	XA_GET_CHAIN, /* the same, each lookup's index depending on the last value */
	XA_MEMORY,    /* ok BYTES NODES NODES_ALIVE (all spaces, the shim's kmem_cache) */
};

struct xa_req {
	uint32_t cmd;
	uint32_t space;
	uint32_t arg;
	uint32_t passes;
	uint64_t n;
};

/* One KVM_SET_MEMORY_ATTRIBUTES: @npages pages from @gfn of @layer get @value. */
struct xa_set_op {
	uint64_t gfn;
	uint64_t npages;
	uint32_t layer;
	uint32_t value;
};

#endif
