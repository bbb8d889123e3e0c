/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memattr bench: the same workloads on the store and on its baselines (flat
 * array, Judy per-page map, upstream KVM's XArray in a process of its own,
 * KVM memslot splitting; a dense two-level table as a reference for lookups),
 * in one run, with ratios and targets.  Results go into a struct
 * bench that report.c prints as a table or JSON.
 */
#ifndef MEMATTR_BENCH_BENCH_H
#define MEMATTR_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "baseline_flat.h"
#include "baseline_judy.h"
#include "baseline_twolevel.h"
#include "baseline_xarray.h"
#include "common/trace.h"

/* IMPL_TWOLEVEL is a reference for the lookup rows, not a baseline to beat. */
enum impl { IMPL_STORE, IMPL_FLAT, IMPL_JUDY, IMPL_XARRAY, IMPL_MEMSLOT, IMPL_TWOLEVEL, NIMPL };

enum unit { UNIT_NS, UNIT_BYTES, UNIT_COUNT };

enum cell_state { CELL_NONE, CELL_VALUE, CELL_SKIPPED };

struct cell {
	enum cell_state state;
	double v;
	char note[64];
};

struct row {
	char id[32];
	char name[64];
	enum unit unit;
	struct cell c[NIMPL];
};

/* ST_REF: a reference ratio beside the targets, judged against the same bound. */
enum status { ST_PASS, ST_FAIL, ST_SKIP, ST_REF };

/**
 * struct target - one performance target, a bound on a measured ratio
 * @what: the target, in words
 * @ratio: the measured ratio
 * @limit: the bound on it
 * @at_least: true for ratio >= limit, false for ratio <= limit
 * @why: for SKIP (and remarks)
 */
struct target {
	char what[96];
	double ratio;
	double limit;
	bool at_least;
	enum status status;
	char why[96];
};

#define MAX_ROWS    40
#define MAX_TARGETS 32
#define MAX_NOTES   16

struct bench_sizes {
	struct trace_params trace;
	uint64_t lookups;	      /* per lookup row */
	unsigned int range_reps;      /* range sets per timing */
	uint64_t judy_range_pages;    /* Judy range sets measured at this size */
	uint64_t reader_ns;	      /* each reader window */
	uint64_t memslot_max_changes; /* 0: until KVM stops it */
};

struct bench {
	bool quick;
	struct bench_sizes sz;
	struct trace trace;
	struct row rows[MAX_ROWS];
	int nrows;
	struct target targets[MAX_TARGETS];
	int ntargets;
	char notes[MAX_NOTES][240];
	int nnotes;
	bool progress;		/* workload names on stderr as they start */
	bool no_memslot;	/* skip the KVM memslot baseline (minutes on a full run) */
	bool no_xarray;		/* skip the kernel XArray baseline */
	bool kvm;		/* the boot trace on a running memattr_vm */
	uint64_t max_map_count; /* 0, or raise vm.max_map_count for the million */

	/* The boot trace applied, kept for the lookup and reader workloads. */
	struct memattr_store *store;
	struct flat flat;
	struct judy judy;
	bool judy_ready;
	struct twolevel twolevel; /* built for the lookup rows only */
	struct xarray_proc xa;	  /* memattr-bench-xarray */
	bool xa_ready;		  /* its XA_SPACE_BOOT holds the boot trace */
	uint64_t ram_end;	  /* first gfn after RAM */
};

struct row *bench_row(struct bench *b, const char *id, const char *name, enum unit unit);
struct row *bench_find(struct bench *b, const char *id);
void cell_set(struct row *r, enum impl i, double v, const char *note);
void cell_skip(struct row *r, enum impl i, const char *why);
double cell_value(const struct bench *b, const char *id, enum impl i, bool *ok);
void bench_note(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_step(struct bench *b, const char *what);
void xarray_skip(struct bench *b, struct row *r);

int bench_boot(struct bench *b);
int bench_range(struct bench *b);
int bench_scatter(struct bench *b);
int bench_lookup(struct bench *b);
int bench_readers(struct bench *b);
int bench_memslot(struct bench *b);
int bench_kvm(struct bench *b);
void bench_targets(struct bench *b);

int bench_run(struct bench *b, bool quick);
void bench_free(struct bench *b);
void report_table(const struct bench *b, FILE *f);
void report_json(const struct bench *b, FILE *f);

#endif
