/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Insides of the KVM backend, shared by src/kvm/ only. */
#ifndef MEMATTR_KVM_VM_INT_H
#define MEMATTR_KVM_VM_INT_H

#include <stdint.h>

#include <memattr/memattr.h>
#include <memattr/vm.h>

#include "fault_classify.h"
#include "hv_interface.h"
#include "kvm_compat.h"

/* Guest-physical layout the VMM owns: the first 64 KiB of RAM. */
#define GDT_GPA	     0x1000ULL
#define TSS_GPA	     0x1800ULL
#define PML4_GPA     0x2000ULL
#define PDPT_GPA     0x3000ULL
#define PD_GPA	     0x4000ULL
#define VMM_RESERVED 0x10000ULL
#define IDENTITY_MAX (1ULL << 30) /* one page directory of 2 MiB identity pages */

#define MAX_RECORDED 256

/* What stopped an access the VMM delivers as an intercept. */
enum icpt_kind {
	ICPT_MMIO,	/* an MMIO exit on RAM: completed or dropped on return */
	ICPT_FETCH,	/* an instruction fetch: retried on return */
	ICPT_HYPERCALL, /* a hypercall's closed input page: retried on return */
	ICPT_FAULT,	/* a KVM_RUN EFAULT (fault.c): skipped or single-stepped on return */
};

struct vcpu {
	int fd;
	struct kvm_run *run;
	/*
	 * Registers as of the vCPU's last exit (KVM_CAP_SYNC_REGS copies them
	 * into kvm_run) or the last KVM_GET/SET_REGS since.
	 */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool regs_valid, sregs_valid, sync;
};

/*
 * An instruction a KVM_RUN EFAULT stopped: its blocked accesses, which of
 * them the receiving VTL allowed, the one it is deciding now, and once it
 * has decided, the decision, carried out before the faulting VTL runs again.
 */
struct fault_state {
	struct fault f;
	unsigned int at;  /* index in f.blocked of the access delivered */
	uint32_t allowed; /* bit i: the receiving VTL allowed f.blocked[i] */
	uint32_t action;  /* its decision on f.blocked[at], MEMATTR_VM_ACTION_* */
	bool resume;	  /* decided: fault_resume() runs instead of the next KVM_RUN */
};

/*
 * One VTL's alias of the memfd and what the views know of it: the host
 * protection of every page (so VMA counts are exact without asking the
 * kernel) and which pages fell back to PROT_NONE for lack of VMAs.
 */
struct alias {
	unsigned int vtl;
	uint8_t *base;
	uint8_t *prot;	   /* PROT_* per page */
	uint8_t *fallback; /* 1: held at PROT_NONE, accesses emulated */
	struct fb_block {
		uint64_t start, end;
	} fb[64]; /* the fallback blocks, disjoint */
	unsigned int nfb;
	uint64_t vmas; /* maximal runs of equal prot */
	/* memslot backend: slot id per run start, and the free ids */
	uint32_t *slot;
	uint32_t *free_ids;
	uint32_t nfree;
};

/* An access stopped and waiting for the higher VTL's decision (exits.c). */
struct held {
	int from;	      /* its VTL; -1: none */
	unsigned int to;      /* the VTL deciding it */
	uint64_t gpa;	      /* the access's GPA, kept from the guest */
	uint32_t access;      /* MEMATTR_VM_ACCESS_* */
	bool retry;	      /* re-executed, not completed, on return */
	enum icpt_kind kind;  /* what stopped it */
	struct kvm_regs regs; /* its VTL's registers when it was stopped */
};

/* The views' own state beyond each alias's protections (view.c). */
struct views {
	struct memattr_notifier notifier; /* on the store, the layers of every mask */
	int error;	       /* a view could not be made strict enough: refuse to run */
	uint64_t refreshed_at; /* stats.changes at the last views_refresh() */
};

/* One VTL's side of the Hyper-V guest interface (hv_guest.c). */
struct hv_guest {
	struct memattr_vm_hv_msrs msrs;
	uint8_t queue[256]; /* an HV_MESSAGE waiting for SINT 0's slot (EOM) */
	bool queued;
};

/*
 * Which file writes which fields; the other files only read them.
 *
 * vm.c: the configuration and the KVM handles, set by memattr_vm_create() and
 *   fixed after: @store to @msg_gpa, @kvm to @vmfd, @mmio_fn, @mmio_opaque,
 *   @walk_writes, @debug_extra and @hv_offered (from the probes' answers); @held.from's
 *   initial -1; each @alias's mapping and arrays (made and freed here).
 * vcpu.c: @vcpu, the vCPUs and their register caches (fault.c drops a cache
 *   after stepping; vm.c marks unopened fds -1).
 * view.c: each @alias's protections and fallback blocks, @views.  memslot.c: each @alias's slot
 * ids. exits.c: @held (the held intercept), @rec, @nrec. fault.c: @fault, the stopped instruction
 * and its step; exits.c writes the higher VTL's decision into it (.action, .resume). hypercall.c:
 * @hv.  hv_guest.c: @hvg, the guest's synthetic MSRs and queue.
 * @stats: each counter is bumped by the file whose event it counts (exits.c,
 *   fault.c, view.c, hv_guest.c); vm.c fills @stats.fault_model, @stats.budget
 *   and @stats.hv_interface.
 */
struct memattr_vm {
	struct memattr_store *store;
	unsigned int vtls;
	uint32_t mask[MEMATTR_VM_MAX_VTLS]; /* layers of @store limiting each VTL */
	uint64_t ram_size;
	uint64_t pages;
	uint64_t budget;
	bool memslots;
	uint64_t msg_gpa[MEMATTR_VM_MAX_VTLS];

	int kvm;
	int memfd;
	size_t run_size;
	uint8_t *ram; /* VMM-private RW mapping */
	int vmfd[MEMATTR_VM_MAX_VTLS];
	struct vcpu vcpu[MEMATTR_VM_MAX_VTLS];
	struct alias alias[MEMATTR_VM_MAX_VTLS];

	memattr_vm_mmio_fn mmio_fn; /* MMIO outside RAM; NULL: none */
	void *mmio_opaque;

	struct views views; /* view.c */

	struct held held; /* exits.c */

	/*
	 * Per VTL, the instruction a KVM_RUN EFAULT stopped (fault.c): a higher
	 * VTL may fault and be stepped while a lower one's is held.
	 */
	struct fault_state fault[MEMATTR_VM_MAX_VTLS];
	bool walk_writes;     /* guest table accesses are writes for the host (probe.c) */
	uint32_t debug_extra; /* KVM_GUESTDBG_BLOCKIRQ where KVM has it, for single steps */

	struct memattr_vm_intercept rec[MAX_RECORDED];
	unsigned int nrec;
	struct memattr_vm_stats stats;
	void *hv;	 /* hypercall front's state (hypercall.c) */
	bool hv_offered; /* CPUID leaves and MSRs offered (KVM sends MSRs to user space) */
	struct hv_guest hvg[MEMATTR_VM_MAX_VTLS];
};

/* vcpu.c */
int vcpu_create(struct memattr_vm *vm, unsigned int vtl);
void vcpu_destroy(struct memattr_vm *vm, unsigned int vtl);
void guest_tables_write(struct memattr_vm *vm);
/* The pieces of a vCPU's setup the probe's throwaway VM shares (probe.c). */
int vcpu_cpuid_set(int kvm, int vcpu_fd, bool hyperv);
void boot_tables_fill(uint8_t *ram);
void sregs_long_mode(struct kvm_sregs *s);
/* Cached register access; KVM_RUN goes through vcpu_run(). */
int vcpu_regs_get(struct memattr_vm *vm, unsigned int vtl, struct kvm_regs *r);
int vcpu_regs_set(struct memattr_vm *vm, unsigned int vtl, const struct kvm_regs *r);
int vcpu_sregs_get(struct memattr_vm *vm, unsigned int vtl, struct kvm_sregs *s);
int vcpu_run(struct memattr_vm *vm, unsigned int vtl);

/* vm.c: what limits @vtl at @gfn, the memattr_combine() of its layers (0: nothing). */
uint64_t vtl_value(const struct memattr_vm *vm, unsigned int vtl, uint64_t gfn);

/* memslot.c: the comparison backend */
int slots_init(struct memattr_vm *vm, struct alias *a);
void slots_fini(struct alias *a);
int slots_apply(struct memattr_vm *vm, struct alias *a, uint64_t s, uint64_t e, uint8_t p);

/* view.c */
int views_init(struct memattr_vm *vm);
int views_refresh(struct memattr_vm *vm);
void views_fini(struct memattr_vm *vm);
/*
 * Give one page of @vtl's alias host protection @prot for a single-stepped
 * instruction (fault.c), and put back the view's own protection of it.
 */
int view_page_open(struct memattr_vm *vm, unsigned int vtl, uint64_t gfn, int prot);
int view_page_restore(struct memattr_vm *vm, unsigned int vtl, uint64_t gfn);

/* exits.c */
/*
 * What the EFAULT path decoded, for the intercept message: the instruction's
 * bytes and length, the access's guest-virtual address.  NULL for the other
 * kinds: the message carries the bytes at RIP, InstructionLength 0 (unknown).
 */
struct icpt_insn {
	const uint8_t *bytes;
	uint8_t count;
	uint8_t length;
	uint64_t gva;
};
/*
 * Stop VTL @vtl's access to @gpa and deliver it to the VTL whose protection
 * it breaks (*@next); for a retried kind the caller left RIP on the
 * instruction.  @insn: NULL, or what the EFAULT path decoded.
 */
int intercept_raise(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, uint32_t access,
		    uint32_t len, enum icpt_kind kind, const struct icpt_insn *insn,
		    unsigned int *next);
/* The one decision for an access the views stopped, however KVM reported it. */
enum access_verdict {
	ACCESS_ALLOW,	  /* the store allows it: the view was stricter (a fallback block) */
	ACCESS_INTERCEPT, /* the store forbids it: deliver it to the VTL whose mask does */
};
/* Return: what VTL @vtl's access gets, or -EFAULT when [@gpa, +@len) is not all RAM. */
int access_decide(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, uint32_t len,
		  uint32_t access);
int vcpu_settle(struct memattr_vm *vm, unsigned int vtl);
bool access_allowed(uint64_t value, bool write);

/*
 * fault.c: KVM_RUN failed with EFAULT on @vtl's vCPU (hardware-virtualized
 * KVM); and, once the receiving VTL decided on the instruction, skip it,
 * step it or deliver its next blocked access.  Both return 0, -errno, or
 * FAULT_EXITED: a single step ended in an ordinary exit (I/O, MMIO, HLT) of
 * the instruction's own, for the run loop to serve.
 */
#define FAULT_EXITED 1
int fault_exit(struct memattr_vm *vm, unsigned int vtl, unsigned int *next);
int fault_resume(struct memattr_vm *vm, unsigned int vtl, unsigned int *next);

/* probe.c: MEMATTR_VM_FAULTS_* of the host's KVM (once per process). */
uint32_t fault_model_probe(int kvm);
/* Whether the host's EPT makes every guest page-table access a write (kvm_intel eptad). */
bool host_walk_writes(void);

/*
 * hv_guest.c: the Hyper-V interface a guest programs.  Whether the host's
 * KVM can offer it; per VTL, the MSR filter that sends the synthetic MSRs to
 * user space (when offered), and their exits.
 */
bool hv_guest_probe(int kvm);
int hv_guest_init(struct memattr_vm *vm, unsigned int vtl);
int hv_msr_exit(struct memattr_vm *vm, unsigned int vtl);
/*
 * VTL @vtl's intercept message slot: SINT 0's in the SynIC message page the
 * VTL programmed, else its configured message page.  Post @msg (an
 * HV_MESSAGE): 0, or -EFAULT when there is nowhere to put it (a programmed
 * page a higher VTL closed since counts as nowhere).  Done: the VTL
 * returned, the VMM frees a configured page's slot.
 */
int message_post(struct memattr_vm *vm, unsigned int vtl, const uint8_t *msg);
void message_done(struct memattr_vm *vm, unsigned int vtl);
/*
 * VTL @vtl's VTL control: HV_VP_VTL_CONTROL in the VP assist page it
 * programmed, else struct memattr_vm_vtl_control in its configured message
 * page, else none (nothing written, zeros and SKIP read); none either when a
 * higher VTL closed the programmed page to the VTL since.
 */
void control_entry_set(struct memattr_vm *vm, unsigned int vtl, uint32_t reason);
void control_return_regs(struct memattr_vm *vm, unsigned int vtl, uint64_t *rax, uint64_t *rcx);
void control_action_reset(struct memattr_vm *vm, unsigned int vtl);
uint32_t control_action(struct memattr_vm *vm, unsigned int vtl);

/* hypercall.c: the doorbell on the VSM front, the only file that speaks TLFS. */
int hv_init(struct memattr_vm *vm);
void hv_fini(struct memattr_vm *vm);
/* Serve a doorbell ring from @vtl; *next_vtl is the VTL to run next. */
int hv_doorbell(struct memattr_vm *vm, unsigned int vtl, unsigned int *next_vtl);
/* After a VtlReturn to @to: the RAX and RCX the front gave VTL @to. */
void hv_return_regs(struct memattr_vm *vm, unsigned int to, uint64_t *rax, uint64_t *rcx);
/* After a VTL entry: why the front entered VP 0's VTL, MEMATTR_VM_ENTRY_*. */
uint32_t hv_entry_reason(struct memattr_vm *vm);
/* memattr_vm_run() starts at @vtl: make the front agree (enable, enter it). */
int hv_enter(struct memattr_vm *vm, unsigned int vtl);
/*
 * Build the TLFS intercept message for VTL @from's blocked access with the
 * front, post it to the owning VTL's message page and take VP 0 into that
 * VTL; @r gets what was delivered (to_vtl, gpa, rip).  @insn: NULL, or the
 * EFAULT path's instruction bytes, length and GVA for the message.
 */
int hv_intercept(struct memattr_vm *vm, unsigned int from, uint64_t gpa, uint32_t access,
		 uint32_t len, enum icpt_kind kind, const struct icpt_insn *insn,
		 struct memattr_vm_intercept *r);

#endif
