/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memattr VMM: enforcement of a store's VTL layers on real, unmodified KVM.
 *
 * One KVM VM per VTL ("companion VMs"), all backed by one memfd.  Each VM's
 * memslot points at its own host mapping (alias) of the memfd; VTL v's alias
 * carries the protections that limit VTL v (the VSM front's layers, combined)
 * as host page protections, kept in step by the store's notifier (one
 * mprotect per coalesced run).  The top VTL's alias is read-write.  A guest
 * access the host protection stops leaves KVM_RUN as KVM_EXIT_MMIO on
 * kvm_pvm, and as KVM_RUN failing with EFAULT on hardware-virtualized KVM
 * (EPT, NPT, shadow paging), where the VMM decodes the instruction to find
 * the access.  Either way the VMM checks the store, completes a permitted
 * access (emulated through its private mapping, or the instruction
 * single-stepped with the page opened), and delivers a forbidden one as a
 * TLFS intercept message to the VTL whose protection it breaks.
 * Execute protection cannot be enforced this way (a host mapping has no
 * "readable but not executable for the guest" state that KVM honours): the
 * store tracks it, the VMM does not enforce it; only a no-access page stops
 * execution.  See docs/kvm.md.
 *
 * Guests call the VMM through a hypercall doorbell: an `out %al, $0x50` to
 * MEMATTR_VM_DOORBELL_PORT with the x64 Hyper-V hypercall registers (RCX the
 * TLFS control word, RDX the input GPA, R8 the output GPA); the VSM front
 * (memattr/vsm.h) serves it and the result comes back in RAX.
 *
 * Where the host's KVM sends MSR accesses to user space (KVM_CAP_X86_USER_
 * SPACE_MSR with an MSR filter; stats hv_interface), each VTL also gets the
 * Hyper-V guest interface an unmodified VSM guest uses instead: the CPUID
 * leaves 0x40000000-0x40000005 ("Microsoft Hv", "Hv#1", VSM privileges), the
 * synthetic MSRs GUEST_OS_ID, HYPERCALL, VP_INDEX, VP_ASSIST_PAGE and the
 * SynIC's SCONTROL, SVERSION, SIEFP, SIMP, EOM and SINT0-15, a hypercall
 * page whose entries ring the doorbell (VTL call and return at the offsets
 * HvRegisterVsmCodePageOffsets reports), intercepts in SINT 0's slot of the
 * SynIC message page the receiving VTL programmed, and its VTL control in
 * the VP assist page it programmed.  docs/kvm.md has the details.
 */
#ifndef MEMATTR_VM_H
#define MEMATTR_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <memattr/memattr.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMATTR_VM_MAX_VTLS 4
/* An 8-bit port: OUT imm8 leaves RDX free for the input GPA. */
#define MEMATTR_VM_DOORBELL_PORT 0x50

/* The hypercalls the doorbell serves are the VSM front's (memattr/vsm.h). */

/* Access types, as TLFS HV_INTERCEPT_ACCESS_TYPE. */
#define MEMATTR_VM_ACCESS_READ	  0
#define MEMATTR_VM_ACCESS_WRITE	  1
#define MEMATTR_VM_ACCESS_EXECUTE 2

/*
 * Intercept messages.  A blocked access of VTL t goes to the VTL whose
 * protection it breaks (the highest, when several do; TLFS VSM "Memory
 * Access Violations"), as a TLFS HV_MESSAGE in the first slot (SINT 0, the
 * intercept SINT) of that VTL's message page, msg_gpa[v]: header
 * MessageType HvMessageTypeGpaIntercept (0x80000001), PayloadSize 80, no
 * flags, Sender 0; payload an HV_X64_MEMORY_INTERCEPT_MESSAGE as the VSM
 * front encodes it (memattr_vsm_intercept_encode(): the intercept header
 * with VpIndex, InterceptAccessType, ExecutionState, CS, Rip, Rflags, then
 * GuestPhysicalAddress at payload offset 56 and up to 16 instruction bytes).
 * After an MMIO exit InstructionLength is 0 (unknown: KVM does not report
 * it, the TLFS lets the receiver decode); after an EFAULT the VMM has decoded
 * the instruction: InstructionLength is its length, InstructionBytes its
 * bytes (up to 15), MemoryAccessInfo GvaValid with GuestVirtualAddress the
 * access's linear address.  The receiving VTL frees the slot by writing
 * HvMessageTypeNone; the VMM frees it too once the VTL has returned.
 * MEMATTR_VM_MSG_* are those offsets.
 */
#define MEMATTR_VM_MSG_TYPE	     0x00 /* HV_MESSAGE_HEADER.MessageType (u32) */
#define MEMATTR_VM_MSG_PAYLOAD_SIZE  0x04 /* HV_MESSAGE_HEADER.PayloadSize (u8) */
#define MEMATTR_VM_MSG_PAYLOAD	     0x10 /* the HV_X64_MEMORY_INTERCEPT_MESSAGE */
#define MEMATTR_VM_MSG_ACCESS	     (MEMATTR_VM_MSG_PAYLOAD + 5)  /* InterceptAccessType (u8) */
#define MEMATTR_VM_MSG_RIP	     (MEMATTR_VM_MSG_PAYLOAD + 24) /* Rip (u64) */
#define MEMATTR_VM_MSG_GPA	     (MEMATTR_VM_MSG_PAYLOAD + 56) /* GuestPhysicalAddress (u64) */
#define MEMATTR_VM_MSG_GPA_INTERCEPT 0x80000001u		   /* HvMessageTypeGpaIntercept */

/* The receiving VTL's decision, in struct memattr_vm_vtl_control.intercept_action. */
#define MEMATTR_VM_ACTION_SKIP	0 /* drop the write / read zeros, continue */
#define MEMATTR_VM_ACTION_ALLOW 1 /* perform this one access anyway */

/*
 * How the host's KVM reports a guest access a host protection stops
 * (struct memattr_vm_stats.fault_model), probed at memattr_vm_create() with a
 * throwaway VM whose guest writes to a PROT_READ page.  The run loop handles
 * both kinds whatever the probe says.
 */
#define MEMATTR_VM_FAULTS_UNKNOWN 0 /* the probe got no clear answer */
#define MEMATTR_VM_FAULTS_MMIO	  1 /* KVM_EXIT_MMIO with the GPA (kvm_pvm, KVM's emulator) */
#define MEMATTR_VM_FAULTS_EFAULT  2 /* KVM_RUN fails with EFAULT (EPT, NPT, shadow paging) */

/*
 * VTL entry reasons (TLFS HV_VTL_ENTRY_REASON), as the VSM front sets them:
 * a VtlCall, or a secure intercept (its message was posted), entry reason
 * HvVtlEntryIntercept as in Linux's and OpenVMM's definitions.
 */
#define MEMATTR_VM_ENTRY_VTL_CALL  1
#define MEMATTR_VM_ENTRY_INTERCEPT 3

/* Where struct memattr_vm_vtl_control sits within the message page. */
#define MEMATTR_VM_CONTROL_OFFSET 0x800
/*
 * A VTL that programmed its VP assist page has its VTL control there: TLFS
 * HV_VP_VTL_CONTROL at offset 8, whose fields the VMM uses are these (entry
 * reason u32, the VtlReturn registers u64), and intercept_action (a u32,
 * MEMATTR_VM_ACTION_*), a memattr extension in the page's tail, which the
 * TLFS leaves undefined.
 */
#define MEMATTR_VM_ASSIST_ENTRY_REASON	0x08
#define MEMATTR_VM_ASSIST_RETURN_RAX	0x10
#define MEMATTR_VM_ASSIST_RETURN_RCX	0x18
#define MEMATTR_VM_ASSIST_ACTION_OFFSET 0xff8

/* struct memattr_vm_stats.hv_interface: what the VMM offers a guest. */
#define MEMATTR_VM_HV_DOORBELL	0 /* the doorbell only: KVM cannot send MSRs to user space */
#define MEMATTR_VM_HV_INTERFACE 1 /* also CPUID leaves, synthetic MSRs, hypercall page */

/**
 * struct memattr_vm_vtl_control - a higher VTL's VTL control, in guest memory
 * @entry_reason: why the VTL was last entered, MEMATTR_VM_ENTRY_*
 * @reserved: zero
 * @vtl_return_rax: RAX the lower VTL gets back on a VtlReturn that is not fast
 * @vtl_return_rcx: RCX the same
 * @intercept_action: not TLFS, a memattr extension: the decision on the
 *	intercept in the message page, MEMATTR_VM_ACTION_*; the VMM sets SKIP
 *	before it enters the VTL, anything but ALLOW is SKIP.  For an execute
 *	access (or a hypercall whose input page is closed) none applies: the
 *	access is retried if the VTL lifted the protection, else the run stops
 *	with -EACCES.  After an MMIO exit on a write, KVM has already retired
 *	the instruction, so the message's Rip is the next instruction's address.
 *	After an EFAULT Rip is the instruction's; ALLOW single-steps it with the
 *	page opened, SKIP completes a MOV without its access (a load gets 0)
 *	and stops the run with -EOPNOTSUPP for any other instruction.
 * @reserved2: zero
 *
 * As TLFS HV_VP_VTL_CONTROL in the VP assist page.  On a VTL switch the
 * registers the TLFS shares between VTLs (RAX, RBX, RCX, RDX, RSI, RDI, RBP,
 * R8-R15) move to the VTL being entered; RIP, RSP, RFLAGS and the control and
 * segment state stay with each VTL's vCPU.  The VtlReturn sequence itself
 * uses RAX and RCX (RCX the call code, RAX the fast-return flag in bit 0, the
 * other bits zero), so a VtlReturn with RAX 0 sets those two from this
 * structure; with RAX 1 (fast) the lower VTL gets them as the returning VTL
 * left them.  The VMM hands the return fields to the VSM front with every
 * hypercall of the VTL, and sets entry_reason from the front on every entry.
 */
struct memattr_vm_vtl_control {
	uint32_t entry_reason;
	uint32_t reserved;
	uint64_t vtl_return_rax;
	uint64_t vtl_return_rcx;
	uint32_t intercept_action;
	uint32_t reserved2;
};

/**
 * struct memattr_vm_config - shape of a new VMM
 * @store: the attributes, in the VSM front's layout (memattr/vsm.h): VTL n's
 *	protection mask, which limits every VTL below n, in layer n - 1, so at
 *	least @vtls - 1 layers; must outlive the VM
 * @vtls: number of VTLs (one KVM VM each), 2..MEMATTR_VM_MAX_VTLS
 * @layer_mask: per VTL, the layers of @store whose memattr_combine() limits
 *	its accesses; 0 means nothing limits it.  All zero for the defaults,
 *	which are the only masks the VSM front accepts: VTL v obeys the masks
 *	of every VTL above it, layers v..@vtls - 2 (memattr_vsm_layer_mask()),
 *	so with three VTLs VTL 0 obeys layers 0 and 1, VTL 1 layer 1, VTL 2
 *	nothing.
 * @ram_size: bytes of guest RAM at GPA 0, a multiple of 2 MiB, at most 128 GiB
 *	(the test guests' identity page tables map the first 1 GiB of it)
 * @vma_budget: host mappings (VMAs) each alias may use; 0 for a default
 *	derived from vm.max_map_count, else at least 2 (1 is -EINVAL: it
 *	cannot keep the VMM's reserved pages mapped).  When a change would
 *	need more, the affected region falls back to PROT_NONE and accesses
 *	are emulated.
 * @max_map_count: 0, or raise the system's vm.max_map_count to this (at
 *	most INT32_MAX) first when it is lower.  Root only; a refusal is not an
 *	error, the default budget follows the limit in force.  The setting is
 *	system-wide and stays after the VM is gone.  Ignored with @memslots.
 * @memslots: for comparison only: make views of KVM memslots (one per run,
 *	read-only slots for read-only runs, none for no access), split on every
 *	change, instead of host protections.  The budget then counts slots
 *	(default: KVM's slot limit less one).
 * @msg_gpa: per VTL v >= 1, 0 or VTL v's message page: it receives the
 *	intercepts for the protections VTL v set (TLFS HV_MESSAGE, see above)
 *	and holds VTL v's struct memattr_vm_vtl_control, for guests that use
 *	the doorbell alone.  A VTL that programmed its SynIC message page
 *	(SCONTROL, SIMP, SINT0 unmasked) gets its intercepts there instead, and
 *	one that programmed its VP assist page has its VTL control there.
 *	With neither, an intercept for the VTL stops the run with -EFAULT.
 */
struct memattr_vm_config {
	struct memattr_store *store;
	unsigned int vtls;
	uint32_t layer_mask[MEMATTR_VM_MAX_VTLS];
	uint64_t ram_size;
	unsigned int vma_budget;
	uint64_t max_map_count;
	bool memslots;
	uint64_t msg_gpa[MEMATTR_VM_MAX_VTLS];
};

/**
 * struct memattr_vm_intercept - an intercept as the VMM saw it
 * @from_vtl: VTL whose access was stopped
 * @to_vtl: VTL that received it: the one whose protection it broke
 * @gpa: address of the access (of the first blocked page, for an access
 *	straddling pages)
 * @access: MEMATTR_VM_ACCESS_*
 * @len: access size
 * @rip: the message's Rip (after an MMIO exit on a write, the next
 *	instruction's)
 * @action: what the receiving VTL decided, MEMATTR_VM_ACTION_*
 */
struct memattr_vm_intercept {
	unsigned int from_vtl;
	unsigned int to_vtl;
	uint64_t gpa;
	uint32_t access;
	unsigned int len;
	uint64_t rip;
	uint32_t action;
};

/**
 * struct memattr_vm_stats - what the VMM did
 * @exits: KVM_RUN returns
 * @mmio_exits: KVM_EXIT_MMIO on guest RAM
 * @device_mmio: KVM_EXIT_MMIO outside RAM that the MMIO handler served
 * @emulated: permitted accesses completed through the private mapping
 * @intercepts: forbidden accesses delivered to a higher VTL
 * @hypercalls: doorbell rings
 * @vtl_switches: changes of the running VTL
 * @mprotects: mprotect() calls made by the views (memslot rebuilds with
 *	@memslots)
 * @mprotect_ns: time spent in them
 * @changes: store changes (coalesced runs) the views were told of
 * @fallbacks: times a region fell back to PROT_NONE for lack of VMAs
 * @refreshes: fallback regions made exact again (memattr_vm_views_refresh())
 * @vmas: host mappings the aliases use now (sum over the protected aliases)
 * @budget: host mappings (or memslots) each protected alias may use
 * @exit_reason: KVM's exit reason of the last exit (why a run failed)
 * @exit_detail: its detail: the internal-error suberror, the GPA of a
 *	memory fault or of an MMIO access (the one that stopped a run with
 *	-ENXIO), the RIP of an instruction an EFAULT stopped
 * @fault_model: how the host's KVM reports an access a host protection
 *	stops, MEMATTR_VM_FAULTS_*
 * @faults: KVM_RUN failures with EFAULT (hardware-virtualized KVM)
 * @stepped: instructions single-stepped with the pages they were stopped at
 *	opened (the store, or the receiving VTL, allowed the access)
 * @skipped: instructions an EFAULT stopped that the receiving VTL skipped
 * @hv_interface: MEMATTR_VM_HV_*, probed at memattr_vm_create()
 * @msr_exits: synthetic MSR reads and writes served
 */
struct memattr_vm_stats {
	uint64_t exits;
	uint64_t mmio_exits;
	uint64_t device_mmio;
	uint64_t emulated;
	uint64_t intercepts;
	uint64_t hypercalls;
	uint64_t vtl_switches;
	uint64_t mprotects;
	uint64_t mprotect_ns;
	uint64_t changes;
	uint64_t fallbacks;
	uint64_t refreshes;
	uint64_t vmas;
	uint64_t budget;
	uint32_t exit_reason;
	uint64_t exit_detail;
	uint32_t fault_model;
	uint64_t faults;
	uint64_t stepped;
	uint64_t skipped;
	uint32_t hv_interface;
	uint64_t msr_exits;
};

/* General-purpose registers, in struct kvm_regs order. */
struct memattr_vm_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

struct memattr_vm;

/**
 * typedef memattr_vm_mmio_fn - a VMM's device model for MMIO outside guest RAM
 * @opaque: as given to memattr_vm_set_mmio_handler()
 * @vtl: the VTL whose vCPU made the access
 * @gpa: guest-physical address of the access (not RAM)
 * @len: its size in bytes, 1..8
 * @is_write: a write of @data[0..@len-1], else a read into it
 * @data: the bytes, little endian; for a read zeroed before the call, the
 *	handler fills @len bytes and KVM completes the instruction with them
 *
 * Context: called on the thread in memattr_vm_run(); it must not run or
 * destroy @vm.
 * Return: 0 handled; -ENXIO when no device is at @gpa (the run stops with
 * -ENXIO); any other -errno stops the run with that error.
 */
typedef int (*memattr_vm_mmio_fn)(void *opaque, unsigned int vtl, uint64_t gpa, unsigned int len,
				  bool is_write, uint8_t data[8]);

/**
 * memattr_vm_set_mmio_handler() - serve MMIO outside guest RAM
 * @vm: the VMM
 * @fn: the device model, or NULL for none
 * @opaque: passed to @fn
 *
 * KVM reports an access to a GPA no memslot covers as KVM_EXIT_MMIO.  On
 * guest RAM that is a protection at work (the VMM checks the store); outside
 * it, the access goes to @fn.  Without a handler, or when it answers -ENXIO,
 * memattr_vm_run() stops with -ENXIO, stats exit_reason KVM_EXIT_MMIO (6)
 * and exit_detail the GPA: an access no device claims is never ignored.
 *
 * Context: the thread that runs @vm, not during memattr_vm_run().
 * Return: 0, or -EINVAL for a NULL @vm.
 */
MEMATTR_API int memattr_vm_set_mmio_handler(struct memattr_vm *vm, memattr_vm_mmio_fn fn,
					    void *opaque);

/**
 * memattr_vm_create() - open /dev/kvm, make one VM per VTL over one memfd
 * @cfg: the shape
 * @out: the new VMM
 *
 * Creates the memfd, the private mapping, one alias and one VM with one
 * vCPU per VTL, identity page tables (2 MiB pages over the first 1 GiB of
 * guest-physical space, so that device MMIO below it is reachable) and a
 * GDT in the first 64 KiB of guest RAM, and registers the views' notifier.
 * The first VM a process creates also probes the host's fault model
 * (stats fault_model) with a throwaway VM.
 *
 * Context: the store's writer side (registers a notifier).
 * Return: 0; -ENODEV or -EACCES when /dev/kvm cannot be opened; -EINVAL for
 * a bad config; -ENOMEM; another -errno from KVM.
 */
MEMATTR_API int memattr_vm_create(const struct memattr_vm_config *cfg, struct memattr_vm **out);

/**
 * memattr_vm_destroy() - close the VMs, unmap, unregister the notifier
 * @vm: the VMM, or NULL
 *
 * Context: the store's writer side.
 */
MEMATTR_API void memattr_vm_destroy(struct memattr_vm *vm);

/**
 * memattr_vm_ram() - the VMM-private read-write mapping of guest RAM
 * @vm: the VMM
 *
 * Context: any thread.
 * Return: host address of GPA 0.  Bypasses every protection: for loading
 * images and for tests.
 */
MEMATTR_API void *memattr_vm_ram(struct memattr_vm *vm);

/**
 * memattr_vm_vcpu_init() - put a VTL's vCPU in 64-bit long mode
 * @vm: the VMM
 * @vtl: which VTL
 * @rip: entry point (identity mapped: below 1 GiB and the end of RAM)
 * @rsp: initial stack pointer (likewise)
 *
 * Context: the thread that runs @vm, not during memattr_vm_run().
 * Return: 0, -EINVAL, or -errno from KVM.
 */
MEMATTR_API int memattr_vm_vcpu_init(struct memattr_vm *vm, unsigned int vtl, uint64_t rip,
				     uint64_t rsp);

/**
 * memattr_vm_run() - run the guest from a VTL until some VTL halts
 * @vm: the VMM
 * @vtl: the VTL to start in
 * @halted_vtl: the VTL that executed HLT, or NULL
 *
 * Serves MMIO exits (emulation or intercepts), the hypercall doorbell and
 * VTL switches on the calling thread.  An intercept re-enters the receiving VTL
 * where it last left with a VtlReturn, so that VTL must have run first.
 *
 * Context: one thread per VM.  It is the store's writer while it runs (the
 * guests' hypercalls set protections): other writers must not run meanwhile.
 *
 * Return: 0 on HLT; -EACCES when the VTL executed a page it may not access
 * and the higher VTL left it so; -ENOEXEC (MMIO-model KVM only) when it
 * executed a page it may run but whose view fell back to PROT_NONE for lack
 * of VMAs (KVM's emulator does not fetch; stats exit_detail is the RIP:
 * raise the budget or lift protections; EFAULT-model KVM single-steps
 * such instructions); -ENXIO for MMIO outside RAM that no handler claimed
 * (memattr_vm_set_mmio_handler()), or the handler's own -errno;
 * -EOPNOTSUPP when the higher VTL skipped an access an EFAULT stopped in an
 * instruction other than a MOV load or store (exit_detail the RIP); -EFAULT
 * for an exit the VMM does not handle or a malformed one (shutdown, other
 * internal errors, an access straddling the end of RAM, a length KVM should
 * not report, an intercept with no VTL to receive it, an EFAULT no blocked
 * access of the instruction explains or whose single step faulted again;
 * memattr_vm_stats() has the exit reason, exit_detail the RIP for an
 * EFAULT); -EIO for an unexpected port; -EPERM when a VTL on the way to
 * @vtl has a vCPU memattr_vm_vcpu_init() never set up (the VSM front
 * refuses VtlCall from real mode); -EINVAL for a NULL @vm or a bad @vtl;
 * another -errno from KVM.
 */
MEMATTR_API int memattr_vm_run(struct memattr_vm *vm, unsigned int vtl, unsigned int *halted_vtl);

/**
 * memattr_vm_get_regs() - a VTL's vCPU registers
 * @vm: the VMM
 * @vtl: which VTL
 * @regs: the answer
 *
 * Context: the thread that runs @vm, not during memattr_vm_run().
 * Return: 0, -EINVAL or -errno from KVM.
 */
MEMATTR_API int memattr_vm_get_regs(struct memattr_vm *vm, unsigned int vtl,
				    struct memattr_vm_regs *regs);

/**
 * memattr_vm_intercepts() - intercepts delivered so far, oldest first
 * @vm: the VMM
 * @n: number of entries (at most the first 256 are kept)
 *
 * Context: as memattr_vm_get_regs().
 * Return: the array, valid until the next memattr_vm_run() or destroy.
 */
MEMATTR_API const struct memattr_vm_intercept *memattr_vm_intercepts(const struct memattr_vm *vm,
								     unsigned int *n);

/**
 * struct memattr_vm_hv_msrs - a VTL's synthetic MSRs, as its guest last set them
 * @guest_os_id: HV_X64_MSR_GUEST_OS_ID
 * @hypercall: HV_X64_MSR_HYPERCALL: bit 0 enabled, bit 1 locked, 63:12 the
 *	hypercall page's GPA
 * @vp_assist_page: HV_X64_MSR_VP_ASSIST_PAGE: bit 0 enabled, 63:12 its GPA
 * @scontrol: HV_X64_MSR_SCONTROL: bit 0 the SynIC enabled
 * @siefp: HV_X64_MSR_SIEFP (bit 0 enabled, 63:12 the GPA), kept, never written
 * @simp: HV_X64_MSR_SIMP, the message page, the same layout
 * @sint: HV_X64_MSR_SINT0-15: vector 7:0, masked 16, auto-EOI 17, polling 18
 */
struct memattr_vm_hv_msrs {
	uint64_t guest_os_id;
	uint64_t hypercall;
	uint64_t vp_assist_page;
	uint64_t scontrol;
	uint64_t siefp;
	uint64_t simp;
	uint64_t sint[16];
};

/**
 * memattr_vm_hv_msrs() - the synthetic MSRs of a VTL's guest
 * @vm: the VMM
 * @vtl: which VTL
 * @out: the answer
 *
 * Context: as memattr_vm_get_regs().
 * Return: 0; -EINVAL for a NULL argument or a bad @vtl; -ENOENT when the VMM
 * offers no Hyper-V interface (stats hv_interface MEMATTR_VM_HV_DOORBELL).
 */
MEMATTR_API int memattr_vm_hv_msrs(const struct memattr_vm *vm, unsigned int vtl,
				   struct memattr_vm_hv_msrs *out);

/**
 * memattr_vm_hv_cpuid() - a Hyper-V CPUID leaf the guests see
 * @vm: the VMM
 * @leaf: 0x40000000..0x40000005
 * @regs: EAX, EBX, ECX, EDX
 *
 * Context: any thread.
 * Return: 0; -EINVAL for a NULL argument or another leaf; -ENOENT when the
 * VMM offers no Hyper-V interface.
 */
MEMATTR_API int memattr_vm_hv_cpuid(const struct memattr_vm *vm, uint32_t leaf, uint32_t regs[4]);

/** memattr_vm_stats() - counters of @vm; read them as memattr_vm_intercepts(). */
MEMATTR_API const struct memattr_vm_stats *memattr_vm_stats(const struct memattr_vm *vm);

/**
 * memattr_vm_views_refresh() - make fallback regions exact where room is back
 * @vm: the VMM
 *
 * A region that fell back to PROT_NONE for lack of VMAs becomes exact again
 * once its runs fit in three quarters of the budget.  memattr_vm_run() does
 * this after every hypercall; a VMM that changes the store itself calls it
 * after its changes.
 *
 * Context: the store's writer side, not during memattr_vm_run().
 * Return: 0, or -errno (the region stays PROT_NONE where it failed).
 */
MEMATTR_API int memattr_vm_views_refresh(struct memattr_vm *vm);

/**
 * memattr_vm_host_prot() - the protection a VTL's guest meets at a gfn: its
 *	alias's host protection (the slot's, with @memslots)
 * @vm: the VMM
 * @vtl: which VTL's alias
 * @gfn: page
 *
 * Context: as memattr_vm_get_regs().
 * Return: PROT_* bits, or -EINVAL.  For tests: compare with the store.
 */
MEMATTR_API int memattr_vm_host_prot(const struct memattr_vm *vm, unsigned int vtl, uint64_t gfn);

/**
 * memattr_vm_layer_mask() - the layers limiting a VTL's accesses
 * @vm: the VMM
 * @vtl: which VTL
 *
 * Return: the bit mask in use (after defaults), 0 for none or a bad @vtl.
 */
MEMATTR_API uint32_t memattr_vm_layer_mask(const struct memattr_vm *vm, unsigned int vtl);

/**
 * memattr_vm_prot_of() - the host protection a layer value maps to
 * @value: layer value
 *
 * 0 and R|W(|X) read-write, R and R|X read-only, NO_ACCESS none.
 * Return: PROT_* bits.
 */
MEMATTR_API int memattr_vm_prot_of(uint64_t value);

#ifdef __cplusplus
}
#endif

#endif /* MEMATTR_VM_H */
