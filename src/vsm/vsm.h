/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VSM front's private state, shared by its files: partition.c (VTL and VP
 * enablement, configuration), hypercall.c (control word, dispatch, guest input
 * and output of hypercalls), vp_registers.c (Get/SetVpRegisters), protect.c
 * (ModifyVtlProtectionMask), access.c (checks, intercepts), guest_mem.c (RAM
 * accessors that obey protections), vtl_switch.c (VTL call/return, shared state).
 * tlfs.h holds the TLFS wire layouts they decode and encode.
 */
#ifndef MEMATTR_SRC_VSM_H
#define MEMATTR_SRC_VSM_H

#include <stdbool.h>
#include <stdint.h>

#include <memattr/vsm.h>

#include "tlfs.h"

/* Nothing below leaves the library. */
#pragma GCC visibility push(hidden)

#define VSM_MAX_RAM 64
#define VSM_MAX_VPS 4096

struct vsm_vp {
	unsigned int vtl;   /* the VTL running now */
	uint32_t vtls;	    /* VTLs enabled on this VP; bit 0 always */
	uint8_t caller[16]; /* caller[t]: the VTL a VTL call into t came from */
	struct memattr_vsm_vtl_control control[16]; /* control[t]: VTL t's, t >= 1 */
	bool pending_valid;			    /* a hypercall raised @pending */
	struct memattr_vsm_intercept pending;
};

struct memattr_vsm {
	/* VTL n's protection mask, limiting every VTL below n, in layer n - 1 */
	struct memattr_store *store;
	unsigned int max_vtl;
	unsigned int gpa_bits; /* all stores' GPA width */
	unsigned int nvps;
	unsigned int nram;
	bool mbec;		    /* MBEC available to EnablePartitionVtl */
	bool store_mbec;	    /* the store distinguishes user execute */
	uint32_t vtls;		    /* VTLs enabled for the partition; bit 0 always */
	uint32_t mbec_vtls;	    /* VTLs enabled with EnableMbec */
	uint32_t vp_vtls_seen;	    /* VTLs enabled on at least one VP by EnableVpVtl */
	uint64_t vsm_config[16];    /* each VTL's HvRegisterVsmPartitionConfig */
	uint64_t code_page_offsets; /* HvRegisterVsmCodePageOffsets */
	uint64_t store_sets;	    /* ranges set (memattr_vsm_store_sets()) */
	uint64_t store_calls;	    /* memattr_set()/memattr_set_runs() calls */
	struct memattr_vsm_ram ram[VSM_MAX_RAM]; /* sorted by gpa */
	struct vsm_vp *vps;
	struct memattr_vsm_vp_regs *regs; /* nvps * (max_vtl + 1) */
};

/* Result value of a hypercall: status in 15:0, reps completed in 43:32. */
static inline uint64_t vsm_result(unsigned int status, uint64_t reps)
{
	return (uint64_t)status | (reps << 32);
}

/* The layer holding VTL @vtl's protection mask, 1 <= @vtl <= max_vtl. */
static inline unsigned int vsm_mask_layer(unsigned int vtl)
{
	return vtl - 1;
}

/* guest_mem.c */
const struct memattr_vsm_ram *vsm_ram_of(const struct memattr_vsm *v, uint64_t gfn);
int vsm_guest_copy(const struct memattr_vsm *v, unsigned int vtl, uint64_t gpa, void *buf,
		   size_t len, bool write);

/* access.c */
unsigned int vsm_blocker(const struct memattr_vsm *v, unsigned int vtl, uint64_t gfn,
			 enum memattr_access a);

/* protect.c */
int vsm_map_flags_value(const struct memattr_vsm *v, unsigned int mask_vtl, uint32_t flags,
			uint64_t *value);
int vsm_set_runs(struct memattr_vsm *v, unsigned int mask_vtl, const struct memattr_range *runs,
		 size_t n, uint64_t value);
uint64_t vsm_read_input(struct memattr_vsm *v, unsigned int vp, uint64_t gpa, void *buf,
			size_t len);
uint64_t vsm_output_check(struct memattr_vsm *v, unsigned int vp, uint64_t gpa, size_t len);
uint64_t vsm_modify_protection(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			       uint64_t input_gpa);

/* partition.c */
uint64_t vsm_enable_partition_vtl(struct memattr_vsm *v, unsigned int vp, const uint8_t *in);
uint64_t vsm_enable_vp_vtl(struct memattr_vsm *v, unsigned int vp, const uint8_t *in);
unsigned int vsm_config_write(struct memattr_vsm *v, unsigned int vtl, uint64_t value);

/* vp_registers.c */
uint64_t vsm_get_vp_registers(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			      uint64_t input_gpa, uint64_t output_gpa);
uint64_t vsm_set_vp_registers(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			      uint64_t input_gpa);

/* vtl_switch.c */
uint64_t vsm_vtl_call(struct memattr_vsm *v, unsigned int vp, uint64_t control);
uint64_t vsm_vtl_return(struct memattr_vsm *v, unsigned int vp, uint64_t control);

#pragma GCC visibility pop

#endif
