/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VSM boot traces: generated in memory (trace_gen.c), written as a
 * `memattr script` (trace_write.c), and read back for replay (trace_parse.c).
 * The shape of a generated trace and why it is plausible: docs/trace.md.
 */
#ifndef MEMATTR_COMMON_TRACE_H
#define MEMATTR_COMMON_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_DEFAULT_GUEST    (64ULL << 30)
#define TRACE_MAX_GUEST	       (1ULL << 40)
#define TRACE_MIN_GUEST	       (64ULL << 20)
#define TRACE_DEFAULT_CHANGES  300000ULL
#define TRACE_DEFAULT_LAYERS   2
#define TRACE_DEFAULT_GPA_BITS 46
#define TRACE_DEFAULT_SEED     1
#define TRACE_BATCH_MAX	       4095 /* TLFS: a rep count is 12 bits */

/* What a batch stands for, for the comments in a written trace. */
enum trace_kind {
	TRACE_SWEEP,
	TRACE_SECURE_REGION,
	TRACE_IMAGE_CODE,
	TRACE_IMAGE_RDATA,
	TRACE_IMAGE_DATA,
	TRACE_PAGE_TABLES,
	TRACE_SECURE_PAGES,
	TRACE_TOGGLE,
	TRACE_KINDS,
};

/**
 * struct trace_op - one set: @npages pages from @gfn get @value in @layer
 * @batch: index of the hypercall batch this op belongs to (sweep ops: 0)
 */
struct trace_op {
	uint64_t gfn;
	uint64_t npages;
	uint32_t batch;
	uint8_t layer;
	uint8_t value;
	uint8_t kind;
};

/**
 * struct trace_params - what to generate
 * @guest_bytes: RAM of the guest, a multiple of 2 MiB, TRACE_MIN_GUEST..TRACE_MAX_GUEST
 * @changes: single-page protection changes of layer 0 after the sweep
 * @seed: the same seed gives the same trace, byte for byte
 * @layers: 1..16
 * @gpa_bits: width of the guest-physical space the trace configures
 */
struct trace_params {
	uint64_t guest_bytes;
	uint64_t changes;
	uint64_t seed;
	unsigned int layers;
	unsigned int gpa_bits;
};

/**
 * struct trace - a generated trace
 * @p: its parameters
 * @ops: the sweep ops first (@nsweep of them), then single-page changes
 * @nbatches: hypercall batches among the changes
 */
struct trace {
	struct trace_params p;
	struct trace_op *ops;
	size_t nops;
	size_t cap;
	size_t nsweep;
	uint32_t nbatches;
};

void trace_params_default(struct trace_params *p);
int trace_params_check(const struct trace_params *p, const char **why);
int trace_generate(const struct trace_params *p, struct trace *t);
void trace_free(struct trace *t);
int trace_write(const struct trace *t, FILE *f);
const char *trace_kind_name(enum trace_kind k);

/* RAM of a guest of @guest_bytes: [0, 3 GiB) and, above the 4 GiB hole, the rest. */
struct ram_layout {
	uint64_t low_pages;  /* gfns [0, low_pages) */
	uint64_t high_start; /* first gfn of high RAM */
	uint64_t high_pages;
};

void ram_layout_of(uint64_t guest_bytes, struct ram_layout *r);
uint64_t ram_gfn(const struct ram_layout *r, uint64_t index);

/**
 * struct replay_op - one `set` line as written: bytes, KVM_SET_MEMORY_ATTRIBUTES style
 * @line: its line number, for messages
 */
struct replay_op {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
	uint32_t layer;
	uint32_t line;
};

/**
 * struct replay_trace - a parsed trace
 * @layers: from `config` (default 16)
 * @gpa_bits: from `config` (default 52)
 * @mbec: from `config`
 */
struct replay_trace {
	unsigned int layers;
	unsigned int gpa_bits;
	bool mbec;
	struct replay_op *ops;
	size_t nops;
	size_t cap;
};

int trace_parse(const char *buf, size_t len, struct replay_trace *t, char *err, size_t errlen);
void replay_trace_free(struct replay_trace *t);

#endif
