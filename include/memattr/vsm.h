/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memattr VSM front: Hyper-V Virtual Secure Mode on top of a memattr store.
 *
 * A partition has VTLs 0..max_vtl and nvps virtual processors.  The front
 * decodes the TLFS hypercalls a VP makes (control word, input page in guest
 * RAM), enforces the TLFS rules on VTL enablement, VTL switches and memory
 * protections, keeps the protections in the store, and answers access checks
 * with memory-intercept messages.  See docs/vsm.md.
 *
 * Store layout: one store, one layer per protecting VTL.  VTL n (1..max_vtl)
 * keeps one protection mask per page, in layer n - 1, and that mask limits
 * every VTL below n.  What VTL t may do at a page is memattr_combine() of
 * layers t..max_vtl - 1 (memattr_vsm_layer_mask(v, t)): the intersection of
 * the masks of the VTLs above it.  Layer value 0 means "no restriction".
 *
 * The VMM keeps each VP's running-VTL registers in memattr_vsm_vp_regs()
 * (CS and CR0 at least before a hypercall), handles the two non-TLFS results
 * of memattr_vsm_hypercall() (MEMATTR_VSM_INJECT_UD, MEMATTR_VSM_INTERCEPTED),
 * and delivers intercepts with memattr_vsm_enter_intercept().
 */
#ifndef MEMATTR_VSM_H
#define MEMATTR_VSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <memattr/memattr.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TLFS hypercall call codes handled by the front. */
#define MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK 0x000c
#define MEMATTR_HVCALL_ENABLE_PARTITION_VTL	  0x000d
#define MEMATTR_HVCALL_ENABLE_VP_VTL		  0x000f
#define MEMATTR_HVCALL_VTL_CALL			  0x0011
#define MEMATTR_HVCALL_VTL_RETURN		  0x0012
#define MEMATTR_HVCALL_GET_VP_REGISTERS		  0x0050
#define MEMATTR_HVCALL_SET_VP_REGISTERS		  0x0051

/* HV_REGISTER_NAME values of the VSM registers GetVpRegisters/SetVpRegisters know. */
#define MEMATTR_HV_REGISTER_VSM_CODE_PAGE_OFFSETS 0x000d0002
#define MEMATTR_HV_REGISTER_VSM_VP_STATUS	  0x000d0003
#define MEMATTR_HV_REGISTER_VSM_PARTITION_STATUS  0x000d0004
#define MEMATTR_HV_REGISTER_VSM_CAPABILITIES	  0x000d0006
#define MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG  0x000d0007
#define MEMATTR_HV_VP_INDEX_SELF		  0xfffffffeu

/* TLFS HV_STATUS values (bits 15:0 of a hypercall result). */
#define MEMATTR_HV_STATUS_SUCCESS		  0x0000
#define MEMATTR_HV_STATUS_INVALID_HYPERCALL_CODE  0x0002
#define MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define MEMATTR_HV_STATUS_INVALID_ALIGNMENT	  0x0004
#define MEMATTR_HV_STATUS_INVALID_PARAMETER	  0x0005
#define MEMATTR_HV_STATUS_ACCESS_DENIED		  0x0006
#define MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY	  0x000b
#define MEMATTR_HV_STATUS_INVALID_PARTITION_ID	  0x000d
#define MEMATTR_HV_STATUS_INVALID_VP_INDEX	  0x000e
#define MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE  0x0050
#define MEMATTR_HV_STATUS_INVALID_VTL_STATE	  0x0051
#define MEMATTR_HV_STATUS_VTL_ALREADY_ENABLED	  0x0086

/* Hypercall input value (control word) fields, TLFS "Hypercall Inputs". */
#define MEMATTR_HV_CONTROL_CODE(c)	   ((c)&0xffffULL)
#define MEMATTR_HV_CONTROL_FAST		   (1ULL << 16)
#define MEMATTR_HV_CONTROL_VARHDR_SHIFT	   17
#define MEMATTR_HV_CONTROL_REP_COUNT_SHIFT 32
#define MEMATTR_HV_CONTROL_REP_START_SHIFT 48
#define MEMATTR_HV_REP_MAX		   0xfff

/* Hypercall result value fields, TLFS "Hypercall Outputs". */
#define MEMATTR_HV_RESULT_STATUS(r) ((unsigned int)((r)&0xffff))
#define MEMATTR_HV_RESULT_REPS(r)   ((unsigned int)(((r) >> 32) & 0xfff))

/*
 * Not a TLFS result: the VMM must inject #UD into the VP and write no result
 * (TLFS VSM "VTL Call Restrictions", "VTL Return").  Status and reps are 0.
 */
#define MEMATTR_VSM_INJECT_UD (1ULL << 63)

/*
 * Not a TLFS result: the call did not run because the caller's VTL may not
 * read its input page (TLFS "Alignment Requirements": the hypervisor checks
 * the input page is readable and otherwise raises a memory intercept).  The
 * VMM delivers memattr_vsm_pending_intercept() to its VTL, writes no result
 * and leaves RIP on the hypercall.  Status and reps are 0.
 */
#define MEMATTR_VSM_INTERCEPTED (1ULL << 62)

/* HV_MAP_GPA_FLAGS protection bits (TLFS "Memory Access Protections"). */
#define MEMATTR_HV_MAP_GPA_READABLE	     0x1u
#define MEMATTR_HV_MAP_GPA_WRITABLE	     0x2u
#define MEMATTR_HV_MAP_GPA_KERNEL_EXECUTABLE 0x4u
#define MEMATTR_HV_MAP_GPA_USER_EXECUTABLE   0x8u
#define MEMATTR_HV_MAP_GPA_PERMISSIONS_ALL   0xfu

/*
 * HV_INPUT_VTL: TargetVtl 3:0, UseTargetVtl 4, reserved 7:5.  Without
 * UseTargetVtl a call names the caller's own VTL (CURRENT_VTL, the form real
 * guests use).
 */
#define MEMATTR_HV_INPUT_VTL_USE_TARGET 0x10u

#define MEMATTR_HV_PARTITION_ID_SELF 0xffffffffffffffffULL
#define MEMATTR_VSM_MAX_VTL	     15

/* HvRegisterVsmPartitionConfig fields the front implements. */
#define MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION (1ULL << 0)
#define MEMATTR_VSM_CONFIG_DEFAULT_MASK_SHIFT	 1
#define MEMATTR_VSM_CONFIG_DEFAULT_MASK		 (0xfULL << 1)

struct memattr_vsm;

/**
 * struct memattr_vsm_ram - one region of guest RAM
 * @gpa: guest-physical address, page aligned
 * @size: bytes, page aligned, nonzero
 * @host: the VMM's private read-write mapping of the region
 */
struct memattr_vsm_ram {
	uint64_t gpa;
	uint64_t size;
	void *host;
};

/**
 * struct memattr_vsm_config - shape of a partition
 * @store: the VTLs' protection masks, VTL n's in layer n - 1: at least
 *	@max_vtl layers; with @mbec, made with MEMATTR_F_MBEC.  Not owned; it
 *	must outlive the partition
 * @max_vtl: highest VTL the partition may enable, 1..MEMATTR_VSM_MAX_VTL
 * @nvps: virtual processors, 1..4096
 * @ram: guest RAM regions, not overlapping, within the store's GPA width
 * @nram: how many, 1..64
 * @mbec: mode-based execute control is available to EnablePartitionVtl
 * @vtl_call_offset: where the VTL call sequence starts in the hypercall page
 *	the VMM offers, 0..0xfff, as HvRegisterVsmCodePageOffsets reports it
 *	(0 when the VMM offers no hypercall page)
 * @vtl_return_offset: the same for the VTL return sequence
 */
struct memattr_vsm_config {
	struct memattr_store *store;
	unsigned int max_vtl;
	unsigned int nvps;
	const struct memattr_vsm_ram *ram;
	unsigned int nram;
	bool mbec;
	uint16_t vtl_call_offset;
	uint16_t vtl_return_offset;
};

/** enum memattr_access - kind of a guest access */
enum memattr_access {
	MEMATTR_ACCESS_READ,
	MEMATTR_ACCESS_WRITE,
	MEMATTR_ACCESS_KEXEC,
	MEMATTR_ACCESS_UEXEC,
};

/* HV_INTERCEPT_ACCESS_TYPE values (TLFS intercept message header). */
#define MEMATTR_HV_INTERCEPT_ACCESS_READ    0
#define MEMATTR_HV_INTERCEPT_ACCESS_WRITE   1
#define MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE 2

/**
 * struct memattr_vsm_seg - one segment register (HV_X64_SEGMENT_REGISTER)
 */
struct memattr_vsm_seg {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes;
};

/* HV_MESSAGE type of a memory intercept, and the size of its x64 payload. */
#define MEMATTR_HV_MESSAGE_GPA_INTERCEPT 0x80000001u
#define MEMATTR_VSM_INTERCEPT_MSG_SIZE	 80

/**
 * struct memattr_vsm_intercept - an HV_X64_MEMORY_INTERCEPT_MESSAGE, decoded
 * @target_vtl: the VTL that receives the intercept (owner of the protection)
 * @vp: header VpIndex
 * @vp_vtl: the VTL the VP ran at when it faulted (also in @execution_state)
 * @gpa: GuestPhysicalAddress
 * @access: what the VP tried
 * @access_type: header InterceptAccessType, MEMATTR_HV_INTERCEPT_ACCESS_*
 * @rip: header Rip, the faulting VTL's
 * @insn_length: header InstructionLength, the length of the intercepted
 *	instruction, 1..15, or 0 for unknown; 0 from memattr_vsm_check(), a VMM
 *	that has decoded the instruction fills it.  A value above 15 (longer
 *	than any x86 instruction) is not a length: encoded as 0, unknown
 * @insn_count: InstructionByteCount, how many bytes of @insn are valid,
 *	0..16 (more is encoded as 16); 0 from memattr_vsm_check(), a VMM that
 *	has fetched the instruction bytes fills @insn and this.  Not the
 *	instruction's length: a fetch takes up to 16 bytes whatever it is
 * @insn: InstructionBytes
 * @execution_state: header ExecutionState (CPL 1:0, CR0.PE 2, CR0.AM 3,
 *	EFER.LMA 4, VTL 10:7)
 * @cs: header CsSegment
 * @rflags: header Rflags
 */
struct memattr_vsm_intercept {
	unsigned int target_vtl;
	unsigned int vp;
	unsigned int vp_vtl;
	uint64_t gpa;
	enum memattr_access access;
	uint8_t access_type;
	uint64_t rip;
	uint8_t insn_length;
	uint8_t insn_count;
	uint8_t insn[16];
	uint16_t execution_state;
	struct memattr_vsm_seg cs;
	uint64_t rflags;
};

/**
 * memattr_vsm_intercept_encode() - the message payload a VTL receives
 * @ic: the intercept
 * @msg: MEMATTR_VSM_INTERCEPT_MSG_SIZE bytes in HV_X64_MEMORY_INTERCEPT_MESSAGE
 *	layout (little endian), for an HV_MESSAGE of type
 *	MEMATTR_HV_MESSAGE_GPA_INTERCEPT; CacheType write-back, no GVA
 *
 * Context: any thread.
 */
MEMATTR_API void memattr_vsm_intercept_encode(const struct memattr_vsm_intercept *ic,
					      uint8_t msg[MEMATTR_VSM_INTERCEPT_MSG_SIZE]);

/* Indexes of memattr_vsm_vp_regs.gpr, in x86 encoding order. */
enum memattr_vsm_gpr {
	MEMATTR_RAX,
	MEMATTR_RCX,
	MEMATTR_RDX,
	MEMATTR_RBX,
	MEMATTR_RSP,
	MEMATTR_RBP,
	MEMATTR_RSI,
	MEMATTR_RDI,
	MEMATTR_R8,
	MEMATTR_R9,
	MEMATTR_R10,
	MEMATTR_R11,
	MEMATTR_R12,
	MEMATTR_R13,
	MEMATTR_R14,
	MEMATTR_R15,
};

/**
 * struct memattr_vsm_vp_regs - the register state of a VP at one VTL
 *
 * Each VTL of a VP has its own copy.  Which registers the VTLs share and which
 * each keeps private follows TLFS VSM "Virtual Processor State Isolation": see
 * memattr_vsm_regs_copy_shared().
 */
struct memattr_vsm_vp_regs {
	uint64_t gpr[16];
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, pat;
	uint64_t dr[4], dr6, dr7;
	struct memattr_vsm_seg es, cs, ss, ds, fs, gs, ldtr, tr;
	uint64_t gdtr_base, idtr_base;
	uint16_t gdtr_limit, idtr_limit;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
	uint8_t xmm[16][16];
};

/**
 * memattr_vsm_layer_mask() - layers whose combination limits VTL @vtl
 * @v: the partition
 * @vtl: a VTL
 *
 * The masks of every VTL above @vtl, layers @vtl..max_vtl - 1 of the
 * partition's store, for memattr_combined_get()/memattr_combined_runs().
 *
 * Context: any thread.
 * Return: the bit mask of those layers; 0 for @vtl >= max_vtl (nothing
 * limits the highest VTL) or a NULL @v.
 */
MEMATTR_API uint32_t memattr_vsm_layer_mask(const struct memattr_vsm *v, unsigned int vtl);

/**
 * memattr_vsm_create() - a partition with only VTL 0 enabled, every VP at VTL 0
 * @cfg: its shape; copied (the RAM array too)
 * @out: the new partition
 *
 * Context: any thread.
 * Return: 0, -EINVAL for a bad config (among others: max_vtl 0 or > 15, a
 * missing store, a store with fewer than max_vtl layers, @mbec on a store
 * without MEMATTR_F_MBEC, a code page offset above 0xfff), -ENOMEM.
 */
MEMATTR_API int memattr_vsm_create(const struct memattr_vsm_config *cfg, struct memattr_vsm **out);

/**
 * memattr_vsm_destroy() - free a partition (not its store)
 * @v: the partition, or NULL
 *
 * Context: no concurrent use of @v.
 */
MEMATTR_API void memattr_vsm_destroy(struct memattr_vsm *v);

/**
 * memattr_vsm_hypercall() - a VP makes a hypercall from its current VTL
 * @v: the partition
 * @vp: VP index
 * @control: the hypercall input value (RCX)
 * @input_gpa: input parameters' GPA (RDX); for fast calls the first 8 bytes
 * @output_gpa: output parameters' GPA (R8); for fast calls the next 8 bytes
 *
 * Everything in @control and in guest memory is validated as TLFS says; a bad
 * field gets its HV_STATUS and changes nothing beyond the reported reps.
 *
 * Context: one caller per partition at a time (the partition's writer).
 * Return: the hypercall result value (status in 15:0, reps completed in
 * 43:32); MEMATTR_HV_STATUS_INVALID_VP_INDEX for a bad @vp;
 * MEMATTR_VSM_INJECT_UD where the TLFS raises #UD (any hypercall from CPL > 0
 * or real mode, a bad VTL call or return); MEMATTR_VSM_INTERCEPTED when the
 * input page is closed to the caller's VTL.  Before the call the VMM loads
 * the running VTL's registers into memattr_vsm_vp_regs(): CS and CR0 always,
 * RAX for VtlCall and VtlReturn (their RAX input), and every shared register
 * when the call may switch VTLs.  After a VTL switch the entered VTL's
 * registers there are what the VP runs with (a VtlReturn that is not fast
 * takes RAX and RCX from the returning VTL's memattr_vsm_vtl_control()).
 */
MEMATTR_API uint64_t memattr_vsm_hypercall(struct memattr_vsm *v, unsigned int vp, uint64_t control,
					   uint64_t input_gpa, uint64_t output_gpa);

/**
 * memattr_vsm_protect() - ModifyVtlProtectionMask's effect, without the decoding
 * @v: the partition
 * @caller_vtl: the VTL making the call
 * @mask_vtl: the VTL whose protection mask is set (the call's TargetVtl, or
 *	@caller_vtl for the usual CURRENT_VTL form); the mask limits every VTL
 *	below @mask_vtl
 * @map_flags: HV_MAP_GPA_FLAGS
 * @gpa_pages: guest page numbers, any order, duplicates allowed
 * @n: how many (no TLFS rep-count limit here)
 * @done: pages of the list, from its start, that now carry the protection
 *
 * The rules of HvCallModifyVtlProtectionMask apply (see docs/vsm.md: @mask_vtl
 * not above @caller_vtl, not 0, enabled; a VTL sets its own mask only once
 * its EnableVtlProtection is set; legal flags; RAM pages).  Validates the
 * whole list, then applies the valid prefix as a few range sets (sorted,
 * coalesced runs) with memattr_set_runs(): all of it or, when memory runs
 * out, none (*@done 0).  Pages past *@done are unchanged.
 *
 * Context: the partition's writer.
 * Return: an HV_STATUS (MEMATTR_HV_STATUS_SUCCESS when *@done == @n;
 * INVALID_PARAMETER at the first non-RAM page, and for a NULL @done or a
 * NULL @gpa_pages with @n > 0; INSUFFICIENT_MEMORY).
 */
MEMATTR_API unsigned int memattr_vsm_protect(struct memattr_vsm *v, unsigned int caller_vtl,
					     unsigned int mask_vtl, uint32_t map_flags,
					     const uint64_t *gpa_pages, size_t n, size_t *done);

/**
 * memattr_vsm_enable_partition_vtl() - HvCallEnablePartitionVtl's effect
 * @v: the partition
 * @vp: the calling VP; its current VTL is the caller
 * @vtl: the VTL to enable for the partition, 1..max_vtl
 * @mbec: the EnableMbec flag
 *
 * The hypercall's rules apply (docs/vsm.md): a VMM that sets up the
 * partition itself, as a loader would, goes through the same checks.
 *
 * Context: the partition's writer.
 * Return: an HV_STATUS.
 */
MEMATTR_API unsigned int memattr_vsm_enable_partition_vtl(struct memattr_vsm *v, unsigned int vp,
							  unsigned int vtl, bool mbec);

/**
 * memattr_vsm_enable_vp_vtl() - HvCallEnableVpVtl's effect
 * @v: the partition
 * @vp: the calling VP; its current VTL is the caller
 * @target_vp: the VP to enable @vtl on, or MEMATTR_HV_VP_INDEX_SELF for @vp
 * @vtl: the VTL, 1..max_vtl, enabled for the partition
 * @context: the new VTL's initial registers (HV_INITIAL_VP_CONTEXT: RIP, RSP,
 *	RFLAGS, the segments, GDTR, IDTR, EFER, CR0, CR3, CR4, PAT are taken;
 *	everything else starts at 0); NULL for all zero
 *
 * Context: the partition's writer.
 * Return: an HV_STATUS (VTL_ALREADY_ENABLED when @target_vp has @vtl).
 */
MEMATTR_API unsigned int memattr_vsm_enable_vp_vtl(struct memattr_vsm *v, unsigned int vp,
						   unsigned int target_vp, unsigned int vtl,
						   const struct memattr_vsm_vp_regs *context);

/**
 * memattr_vsm_set_partition_config() - write a VTL's HvRegisterVsmPartitionConfig
 * @v: the partition
 * @vp: the VP whose current VTL writes its own register
 * @value: EnableVtlProtection (bit 0), DefaultVtlProtectionMask (4:1, as
 *	HV_MAP_GPA_FLAGS, at least R|W); bits 15:5 (ZeroMemoryOnReset,
 *	DenyLowerVtlStartup and the intercept enables) are kept without
 *	effect; bits 63:16 must be zero
 *
 * Setting EnableVtlProtection applies DefaultVtlProtectionMask to all RAM in
 * the VTL's own mask; afterwards neither may change (TLFS VSM "Partition
 * Configuration").  A VTL sets its own mask only once it is set.
 *
 * Context: the partition's writer.
 * Return: an HV_STATUS: INVALID_REGISTER_VALUE for a bad @value.
 */
MEMATTR_API unsigned int memattr_vsm_set_partition_config(struct memattr_vsm *v, unsigned int vp,
							  uint64_t value);

/**
 * memattr_vsm_check() - may @vp, at its current VTL, make access @a at @gpa?
 * @v: the partition
 * @vp: VP index
 * @gpa: guest-physical byte address
 * @a: the access
 * @out: filled when blocked (may be NULL)
 *
 * Context: any thread (lock-free store lookups); VP state is the caller's.
 * Return: 0 allowed, 1 blocked with *@out filled, -EINVAL for a bad @vp or
 * @a, -EFAULT when @gpa is not RAM.
 */
MEMATTR_API int memattr_vsm_check(const struct memattr_vsm *v, unsigned int vp, uint64_t gpa,
				  enum memattr_access a, struct memattr_vsm_intercept *out);

/**
 * memattr_vsm_pending_intercept() - take the intercept a hypercall raised
 * @v: the partition
 * @vp: the VP whose hypercall answered MEMATTR_VSM_INTERCEPTED
 * @out: the intercept (a read of the input GPA), for @out->target_vtl
 *
 * Context: the partition's writer.
 * Return: 1 with *@out filled (and the intercept consumed), 0 if none.
 */
MEMATTR_API int memattr_vsm_pending_intercept(struct memattr_vsm *v, unsigned int vp,
					      struct memattr_vsm_intercept *out);

/* HV_VTL_ENTRY_REASON (HV_VP_VTL_CONTROL): why the running VTL was entered. */
#define MEMATTR_HV_VTL_ENTRY_VTL_CALL  1
#define MEMATTR_HV_VTL_ENTRY_INTERRUPT 2
#define MEMATTR_HV_VTL_ENTRY_INTERCEPT 3

/**
 * struct memattr_vsm_vtl_control - a VTL's HV_VP_VTL_CONTROL
 * @entry_reason: why the VTL was last entered, MEMATTR_HV_VTL_ENTRY_*
 * @vina_asserted: VINA status (bit 0); kept, not used by the front
 * @reserved: zero
 * @vtl_return_rax: RAX the lower VTL gets back on a VtlReturn that is not fast
 * @vtl_return_rcx: RCX the same
 *
 * The layout of the TLFS structure a guest finds in its VP assist page.
 * The front keeps one per VP and VTL above 0 (memattr_vsm_vtl_control()): a
 * VMM that maps the VP assist page copies the guest's return fields in
 * before a VtlReturn and the entry reason out after a VTL entry.
 */
struct memattr_vsm_vtl_control {
	uint32_t entry_reason;
	uint8_t vina_asserted;
	uint8_t reserved[3];
	uint64_t vtl_return_rax;
	uint64_t vtl_return_rcx;
};

/**
 * memattr_vsm_vtl_control() - the HV_VP_VTL_CONTROL of @vp at @vtl
 * @v: the partition
 * @vp: VP index
 * @vtl: a VTL, 1..max_vtl
 *
 * Context: the partition's writer.
 * Return: the control, or NULL for a bad @vp or @vtl.
 */
MEMATTR_API struct memattr_vsm_vtl_control *
memattr_vsm_vtl_control(struct memattr_vsm *v, unsigned int vp, unsigned int vtl);

/**
 * memattr_vsm_enter_intercept() - switch the faulting VP into the VTL that
 *	receives an intercept
 * @v: the partition
 * @ic: an intercept from memattr_vsm_check() or a hypercall
 *
 * TLFS VSM "VTL Entry": a secure intercept enters the higher VTL with entry
 * reason HvVtlEntryIntercept (3, as in Linux's and OpenVMM's definitions).
 * The shared registers move along, and a VTL return goes back to
 * @ic->vp_vtl.
 * The VMM posts the message (memattr_vsm_intercept_encode()) to that VTL.
 *
 * Context: the partition's writer.
 * Return: 0; -EINVAL if @ic->vp does not run at @ic->vp_vtl or the target is
 * not higher; -ENOENT if the target VTL is not enabled on the VP.
 */
MEMATTR_API int memattr_vsm_enter_intercept(struct memattr_vsm *v,
					    const struct memattr_vsm_intercept *ic);

/**
 * memattr_vsm_entry_reason() - why @vp's running VTL was entered
 * @v: the partition
 * @vp: VP index
 *
 * Return: MEMATTR_HV_VTL_ENTRY_*, 0 at VTL 0 or for a bad @vp.
 */
MEMATTR_API unsigned int memattr_vsm_entry_reason(const struct memattr_vsm *v, unsigned int vp);

/** memattr_vsm_vp_vtl() - the VTL @vp runs at now (0 for a bad @vp). */
MEMATTR_API unsigned int memattr_vsm_vp_vtl(const struct memattr_vsm *v, unsigned int vp);

/** memattr_vsm_partition_vtls() - bit mask of the VTLs enabled for the partition. */
MEMATTR_API uint32_t memattr_vsm_partition_vtls(const struct memattr_vsm *v);

/** memattr_vsm_vp_vtls() - bit mask of the VTLs enabled on @vp (0 for a bad @vp). */
MEMATTR_API uint32_t memattr_vsm_vp_vtls(const struct memattr_vsm *v, unsigned int vp);

/**
 * memattr_vsm_vp_regs() - a VP's register state at one VTL
 * @v: the partition
 * @vp: VP index
 * @vtl: VTL
 *
 * The VMM loads the running VTL's registers here before a hypercall or VTL
 * switch and reads them back afterwards.
 *
 * Return: the registers, or NULL for a bad @vp or @vtl.
 */
MEMATTR_API struct memattr_vsm_vp_regs *memattr_vsm_vp_regs(struct memattr_vsm *v, unsigned int vp,
							    unsigned int vtl);

/**
 * memattr_vsm_regs_copy_shared() - copy the registers all VTLs of a VP share
 * @dst: the VTL being entered
 * @src: the VTL being left
 *
 * Shared: RAX..R15 except RSP, CR2, DR0-DR3, DR6, XMM.  Private registers
 * (RIP, RSP, RFLAGS, CR0/3/4/8, EFER, PAT, segments, descriptor tables, DR7,
 * SYSCALL/SYSENTER MSRs, KERNEL_GS_BASE, TSC_AUX) are not touched.
 *
 * Context: any thread.
 */
MEMATTR_API void memattr_vsm_regs_copy_shared(struct memattr_vsm_vp_regs *dst,
					      const struct memattr_vsm_vp_regs *src);

/**
 * memattr_vsm_guest_read() - read guest memory as @vp's current VTL may
 * @v: the partition
 * @vp: VP index
 * @gpa: guest-physical byte address
 * @buf: destination
 * @len: bytes
 *
 * Context: any thread; concurrent protection changes race as guest accesses do.
 * Return: 0, -EFAULT (not all RAM), -EACCES (a page the VTL may not read;
 * nothing copied), -EINVAL (bad @vp).
 */
MEMATTR_API int memattr_vsm_guest_read(const struct memattr_vsm *v, unsigned int vp, uint64_t gpa,
				       void *buf, size_t len);

/** memattr_vsm_guest_write() - write guest memory as @vp's current VTL may; as above. */
MEMATTR_API int memattr_vsm_guest_write(const struct memattr_vsm *v, unsigned int vp, uint64_t gpa,
					const void *buf, size_t len);

/**
 * memattr_vsm_store_sets() - range sets the front has made
 * @v: the partition
 *
 * Counts each memattr_set() call and each range of a memattr_set_runs()
 * batch: what the store walks.  A list of n pages in k runs of consecutive
 * pages counts k.
 *
 * Return: the count, for tests and benchmarks of batching.
 */
MEMATTR_API uint64_t memattr_vsm_store_sets(const struct memattr_vsm *v);

/**
 * memattr_vsm_store_calls() - store write calls the front has made
 * @v: the partition
 *
 * Counts memattr_set() and memattr_set_runs() calls: one per applied
 * protection list, however many runs it has.
 *
 * Return: the count, for tests and benchmarks of batching.
 */
MEMATTR_API uint64_t memattr_vsm_store_calls(const struct memattr_vsm *v);

#ifdef __cplusplus
}
#endif

#endif /* MEMATTR_VSM_H */
