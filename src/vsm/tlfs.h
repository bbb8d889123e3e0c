/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TLFS wire layouts: every structure the VSM front reads from or writes to
 * guest memory, one packed struct each, with the offsets the TLFS and code
 * that runs on Hyper-V (OpenVMM's hvdef crate, Linux's hyperv-tlfs.h and
 * hvgdk_mini.h) use asserted.  x64 guests are little endian, so are the
 * fields; tlfs_get*()/tlfs_put*() are the one set of helpers that read and
 * write them byte by byte.  Not installed: the library, its tools and tests
 * share it.
 */
#ifndef MEMATTR_SRC_TLFS_H
#define MEMATTR_SRC_TLFS_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define TLFS_PACKED __attribute__((packed))

/* HV_X64_SEGMENT_REGISTER (16 bytes). */
struct hv_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes;
} TLFS_PACKED;

/* HV_X64_TABLE_REGISTER (16 bytes). */
struct hv_table {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
} TLFS_PACKED;

/* HV_INITIAL_VP_CONTEXT, HvCallEnableVpVtl's VpVtlContext (224 bytes). */
struct hv_initial_vp_context {
	uint64_t rip, rsp, rflags;
	struct hv_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_table idtr, gdtr;
	uint64_t efer, cr0, cr3, cr4, msr_cr_pat;
} TLFS_PACKED;

/* HvCallEnablePartitionVtl input. */
struct hv_input_enable_partition_vtl {
	uint64_t partition_id;
	uint8_t target_vtl;
	uint8_t flags; /* bit 0 EnableMbec, 7:1 reserved */
	uint8_t reserved[6];
} TLFS_PACKED;

/* HvCallEnableVpVtl input. */
struct hv_input_enable_vp_vtl {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t target_vtl;
	uint8_t reserved[3];
	struct hv_initial_vp_context context;
} TLFS_PACKED;

/*
 * The header HvCallModifyVtlProtectionMask and Get/SetVpRegisters share in
 * layout: a partition, a 4-byte field (MapFlags or VpIndex), an HV_INPUT_VTL.
 */
struct hv_input_modify_vtl_protection_mask {
	uint64_t partition_id;
	uint32_t map_flags;
	uint8_t target_vtl; /* HV_INPUT_VTL */
	uint8_t reserved[3];
	/* uint64_t gpa_page_list[] */
} TLFS_PACKED;

struct hv_input_vp_registers {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t target_vtl; /* HV_INPUT_VTL */
	uint8_t reserved[3];
	/* Get: uint32_t names[]; Set: struct hv_register_assoc elements[] */
} TLFS_PACKED;

/* HV_REGISTER_ASSOC, an element of HvCallSetVpRegisters (32 bytes). */
struct hv_register_assoc {
	uint32_t name;
	uint32_t reserved1;
	uint64_t reserved2;
	uint64_t value_low, value_high; /* HV_REGISTER_VALUE */
} TLFS_PACKED;

/* HV_INPUT_VTL: TargetVtl 3:0, UseTargetVtl 4, reserved 7:5. */
#define HV_INPUT_VTL_TARGET(x)	((x)&0xfu)
#define HV_INPUT_VTL_USE_TARGET 0x10u
#define HV_INPUT_VTL_RESERVED	0xe0u

/*
 * The VTL an HV_INPUT_VTL names: TargetVtl with UseTargetVtl, else the
 * caller's own (CURRENT_VTL).  Its reserved bits are the caller's to check.
 */
static inline unsigned int hv_input_vtl_named(unsigned int in_vtl, unsigned int caller)
{
	return (in_vtl & HV_INPUT_VTL_USE_TARGET) ? HV_INPUT_VTL_TARGET(in_vtl) : caller;
}

/*
 * HV_X64_INTERCEPT_MESSAGE_HEADER (40 bytes) and HV_X64_MEMORY_INTERCEPT_MESSAGE
 * (80 bytes); CacheType HV_CACHE_TYPE_WRITE_BACK is 6.
 */
struct hv_intercept_header {
	uint32_t vp_index;
	uint8_t instruction_length; /* 3:0; cr8 7:4 */
	uint8_t intercept_access_type;
	uint16_t execution_state;
	struct hv_segment cs;
	uint64_t rip;
	uint64_t rflags;
} TLFS_PACKED;

struct hv_memory_intercept_message {
	struct hv_intercept_header header;
	uint32_t cache_type;
	uint8_t instruction_byte_count;
	uint8_t memory_access_info;
	uint16_t tpr_priority;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint8_t instruction_bytes[16];
} TLFS_PACKED;

#define HV_CACHE_TYPE_WRITE_BACK 6

/* HV_MESSAGE (TLFS "SynIC Messages"): a 16-byte header, up to 240 bytes of payload. */
struct hv_message_header {
	uint32_t message_type;
	uint8_t payload_size;
	uint8_t message_flags; /* bit 0 MessagePending */
	uint8_t reserved[2];
	uint64_t sender; /* port id or partition id */
} TLFS_PACKED;

struct hv_message {
	struct hv_message_header header;
	uint8_t payload[240];
} TLFS_PACKED;

#define HV_MESSAGE_TYPE_NONE	0x00000000u
#define HV_MESSAGE_FLAG_PENDING 0x01u /* message_flags: another message waits (EOM) */

/* HV_VP_VTL_CONTROL, in the VP assist page. */
struct hv_vp_vtl_control {
	uint32_t entry_reason;
	uint8_t vina_status;
	uint8_t reserved[3];
	uint64_t registers[2]; /* RAX, RCX a VtlReturn that is not fast gives the lower VTL */
} TLFS_PACKED;

/* HV_VP_ASSIST_PAGE, as far as the VMM uses it (Linux's hv_vp_assist_page). */
struct hv_vp_assist_page {
	uint32_t apic_assist;
	uint32_t reserved;
	struct hv_vp_vtl_control vtl_control;
} TLFS_PACKED;

/*
 * HV_X64_VP_EXECUTION_STATE bits of the intercept header: CPL 1:0, CR0.PE 2,
 * CR0.AM 3, EFER.LMA 4, DebugActive 5, InterruptionPending 6, VTL 10:7.
 */
#define HV_EXEC_STATE_CR0_PE   (1u << 2)
#define HV_EXEC_STATE_CR0_AM   (1u << 3)
#define HV_EXEC_STATE_EFER_LMA (1u << 4)
#define HV_EXEC_STATE_VTL(v)   (((v)&0xfu) << 7)

_Static_assert(sizeof(struct hv_segment) == 16, "HV_X64_SEGMENT_REGISTER");
_Static_assert(sizeof(struct hv_table) == 16, "HV_X64_TABLE_REGISTER");
_Static_assert(sizeof(struct hv_initial_vp_context) == 224, "HV_INITIAL_VP_CONTEXT");
_Static_assert(offsetof(struct hv_initial_vp_context, cs) == 24, "Cs after Rip, Rsp, Rflags");
_Static_assert(offsetof(struct hv_initial_vp_context, idtr) == 152, "Idtr after 8 segments");
_Static_assert(offsetof(struct hv_initial_vp_context, efer) == 184, "Efer");
_Static_assert(offsetof(struct hv_initial_vp_context, cr0) == 192, "Cr0");
_Static_assert(offsetof(struct hv_initial_vp_context, msr_cr_pat) == 216, "MsrCrPat");
_Static_assert(sizeof(struct hv_input_enable_partition_vtl) == 16, "EnablePartitionVtl");
_Static_assert(offsetof(struct hv_input_enable_vp_vtl, context) == 16, "VpVtlContext");
_Static_assert(sizeof(struct hv_input_enable_vp_vtl) == 240, "EnableVpVtl input");
_Static_assert(sizeof(struct hv_input_modify_vtl_protection_mask) == 16, "ModifyVtlProtectionMask");
_Static_assert(offsetof(struct hv_input_modify_vtl_protection_mask, target_vtl) == 12, "TargetVtl");
_Static_assert(sizeof(struct hv_input_vp_registers) == 16, "Get/SetVpRegisters header");
_Static_assert(sizeof(struct hv_register_assoc) == 32, "HV_REGISTER_ASSOC");
_Static_assert(offsetof(struct hv_register_assoc, value_low) == 16, "RegisterValue");
_Static_assert(sizeof(struct hv_intercept_header) == 40, "HV_X64_INTERCEPT_MESSAGE_HEADER");
_Static_assert(offsetof(struct hv_intercept_header, rip) == 24, "Rip");
_Static_assert(offsetof(struct hv_memory_intercept_message, instruction_byte_count) == 44,
	       "InstructionByteCount");
_Static_assert(offsetof(struct hv_memory_intercept_message, guest_physical_address) == 56,
	       "GuestPhysicalAddress");
_Static_assert(sizeof(struct hv_memory_intercept_message) == 80, "HV_X64_MEMORY_INTERCEPT_MESSAGE");
_Static_assert(sizeof(struct hv_message_header) == 16, "HV_MESSAGE_HEADER");
_Static_assert(sizeof(struct hv_message) == 256, "HV_MESSAGE");
_Static_assert(offsetof(struct hv_message_header, message_flags) == 5, "MessageFlags");
_Static_assert(sizeof(struct hv_vp_vtl_control) == 24, "HV_VP_VTL_CONTROL");
_Static_assert(offsetof(struct hv_vp_assist_page, vtl_control) == 8, "VtlControl");

/* Little-endian field access for guest memory and hypercall registers. */
static inline uint64_t tlfs_get(const void *p, unsigned int bytes)
{
	const uint8_t *b = p;
	uint64_t x = 0;

	for (unsigned int i = bytes; i-- > 0;)
		x = (x << 8) | b[i];
	return x;
}

static inline void tlfs_put(void *p, uint64_t x, unsigned int bytes)
{
	uint8_t *b = p;

	for (unsigned int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(x >> (8 * i));
}

/* A field of a packed TLFS struct image in @buf: TLFS_GET(buf, struct, field). */
#define TLFS_FIELD(buf, type, field) ((const uint8_t *)(buf) + offsetof(type, field))
#define TLFS_GET(buf, type, field)                                                                 \
	tlfs_get(TLFS_FIELD(buf, type, field), sizeof(((type *)0)->field))
#define TLFS_PUT(buf, type, field, x)                                                              \
	tlfs_put((uint8_t *)(buf) + offsetof(type, field), (x), sizeof(((type *)0)->field))

#pragma GCC visibility pop

#endif
