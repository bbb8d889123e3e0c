/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VSM demo on real KVM: VTL 1 protects VTL 0's kernel image, VTL 0 runs
 * into the protections.  Both guests reach the VMM only through the Hyper-V
 * interface (CPUID, synthetic MSRs, the hypercall page).  Shared by
 * `memattr vm` and tests/test_kvm.c.
 */
#ifndef MEMATTR_DEMO_VM_DEMO_H
#define MEMATTR_DEMO_VM_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include <memattr/vm.h>

#define DEMO_SECRET	0x2121544552434553ULL /* "SECRET!!" */
#define DEMO_MAX_RUNS	16
#define DEMO_MAX_EVENTS 8

struct demo_opts {
	unsigned int vma_budget; /* 0: the backend's default */
	uint64_t max_map_count;	 /* 0, or raise vm.max_map_count to this (root) */
	bool memslots;		 /* the memslot backend instead of mprotect */
	bool exec_secret;	 /* VTL 0 ends by jumping into its secret */
	uint64_t loop;		 /* VTL 0 makes that many more blocked writes */
	uint64_t keep;		 /* VTL 1 leaves that many messages in its slot */
};

struct demo_run {
	uint64_t start, end, value; /* gfns */
};

struct demo_result {
	/* VTL 0's own view, from its data page and registers */
	uint64_t code_read, data_read, secret_seen, vtl1_seen, done;
	uint64_t hv_denied, vtl_call; /* its own hypercalls' results */
	struct memattr_vm_regs regs;  /* VTL 0's at its halt */
	uint64_t code_poke;	      /* the word VTL 0 tried to overwrite in its code */
	/* VTL 1's log */
	uint64_t nlog, calls;
	uint64_t log_gpa[DEMO_MAX_EVENTS], log_access[DEMO_MAX_EVENTS];
	uint64_t hv_result[4];
	uint64_t hv_config; /* VTL 1's HvSetVpRegisters(VsmPartitionConfig) */
	uint64_t eoms;	    /* VTL 1's EOM writes for a message marked pending */
	/* The Hyper-V interface: what each VTL found and read, what the VMM offered */
	uint64_t iface[2];		    /* 1: the VTL found Hyper-V in CPUID */
	uint64_t offsets[2], offsets_hv[2]; /* HvRegisterVsmCodePageOffsets, its status */
	uint64_t call_entry, return_entry;  /* the entries each computed from it */
	uint32_t cpuid[6][4];		    /* leaves 0x40000000-0x40000005 */
	struct memattr_vm_hv_msrs msrs[2];
	/* the VMM's view */
	unsigned int halted_vtl;
	int stopped; /* the run ended with -EACCES (executed a no-access page) */
	unsigned int nintercepts;
	struct memattr_vm_intercept intercepts[DEMO_MAX_EVENTS];
	unsigned int nruns;
	struct demo_run runs[DEMO_MAX_RUNS]; /* VTL 1's mask (layer 0) after the run */
	int views_match;		     /* host protections == store everywhere */
	struct memattr_vm_stats stats;
	double seconds;
};

/*
 * Return: 0, or -errno (-ENODEV / -EACCES: no usable /dev/kvm; -EPROTONOSUPPORT:
 * the host's KVM cannot send MSRs to user space, so the guests, which reach
 * the VMM only through the Hyper-V interface, cannot run).
 */
int demo_run(const struct demo_opts *o, struct demo_result *r);

/*
 * Whether the run showed what the demo is for: VTL 0 finished, its blocked
 * accesses did not happen (its code unchanged, the secret unseen), the first
 * three (code write, secret read, VTL 1 memory read) reached VTL 1 as
 * intercepts with their GPA and access type, in the VMM's record and in
 * VTL 1's own log, and the views equal the store.  `memattr vm`'s status.
 */
bool demo_enforced(const struct demo_result *r);

#endif
