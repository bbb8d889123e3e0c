/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Baseline: upstream KVM's memory attributes on the kernel's own XArray
 * (lib/xarray.c of Linux 6.12, one entry per page), run in a process of its
 * own, memattr-bench-xarray (bench/xarray/, GPL-2.0), that this side drives
 * through a pipe (bench/xarray/proto.h).  When it cannot run, @why says why
 * and every call fails with -ENOTSUP.
 */
#ifndef MEMATTR_BENCH_BASELINE_XARRAY_H
#define MEMATTR_BENCH_BASELINE_XARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "xarray/proto.h"

/**
 * struct xarray_proc - the child process
 * @ok: running and answering
 * @why: why not, short enough for a table cell ("skipped: ...")
 * @detail: the whole story (path, the child's own reason), for a note
 * @kernel: the kernel release the XArray comes from
 * @node_bytes: sizeof(struct xa_node)
 * @chunk: slots per node
 */
struct xarray_proc {
	pid_t pid;
	FILE *to;
	FILE *from;
	bool ok;
	char why[64];
	char detail[200];
	char kernel[32];
	uint64_t node_bytes;
	unsigned int chunk;
};

void xarray_start(struct xarray_proc *x, bool disabled);
void xarray_stop(struct xarray_proc *x);
int xarray_reset(struct xarray_proc *x, enum xa_space space, unsigned int layers);
int xarray_set(struct xarray_proc *x, enum xa_space space, const struct xa_set_op *ops, size_t n,
	       uint64_t *ns);
int xarray_gfns(struct xarray_proc *x, const uint64_t *gfns, size_t n);
int xarray_get(struct xarray_proc *x, enum xa_space space, unsigned int layer, bool chain,
	       unsigned int passes, uint64_t *ns, uint64_t *sum);
int xarray_memory(struct xarray_proc *x, enum xa_space space, uint64_t *bytes);

#endif
