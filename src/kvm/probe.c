// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which of KVM's two behaviours the host has for a guest access that a host
 * protection stops.  kvm_pvm (and KVM's instruction emulator generally)
 * copies guest memory through the host mapping, fails, and reports the access
 * as KVM_EXIT_MMIO with its GPA.  Hardware-virtualized KVM (EPT, NPT, shadow
 * paging) maps the page for the guest instead, and hva_to_pfn() refusing it
 * fails KVM_RUN with EFAULT (kvm_handle_error_pfn()).  A throwaway VM, set up
 * as the VMM's own vCPUs are, writes to a PROT_READ page and shows which.
 * The run loop handles both whatever the answer: this is for people
 * (memattr_vm_stats(), `memattr vm`) and for tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm_int.h"

#define PROBE_RAM    (2ULL << 20)	     /* one 2 MiB identity page */
#define PROBE_CODE   VMM_RESERVED	     /* after the tables, as the guests' code */
#define PROBE_TARGET (VMM_RESERVED + 0x1000) /* the page made PROT_READ */

/*
 * movb $1, PROBE_TARGET; hlt.  Never more than one exit: the write, or the
 * HLT if the host protection did not stop it.
 */
static const uint8_t probe_code[] = {
	0xc6,
	0x04,
	0x25,
	PROBE_TARGET & 0xff,
	(PROBE_TARGET >> 8) & 0xff,
	(PROBE_TARGET >> 16) & 0xff,
	0x00,
	0x01,
	0xf4,
};

/* The host's answer, once per process: it is the loaded KVM module's. */
static int probed = -1;

static uint32_t probe_run(int kvm, int vmfd, uint8_t *ram, size_t run_size)
{
	struct kvm_userspace_memory_region r = {
		.memory_size = PROBE_RAM,
		.userspace_addr = (uint64_t)(uintptr_t)ram,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = PROBE_CODE, .rsp = PROBE_CODE, .rflags = 2 };
	uint32_t model = MEMATTR_VM_FAULTS_UNKNOWN;
	struct kvm_run *run;
	int fd, ret, tries = 0;

	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		return model;
	fd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (fd < 0)
		return model;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		goto out_close;
	if (vcpu_cpuid_set(kvm, fd, false) || ioctl(fd, KVM_GET_SREGS, &sregs))
		goto out_unmap;
	sregs_long_mode(&sregs);
	if (ioctl(fd, KVM_SET_SREGS, &sregs) || ioctl(fd, KVM_SET_REGS, &regs))
		goto out_unmap;
	do
		ret = ioctl(fd, KVM_RUN, 0) ? -errno : 0;
	while ((ret == -EINTR || ret == -EAGAIN) && ++tries < 16);
	if (ret == -EFAULT)
		model = MEMATTR_VM_FAULTS_EFAULT;
	else if (!ret && run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
		 run->mmio.phys_addr == PROBE_TARGET)
		model = MEMATTR_VM_FAULTS_MMIO;
out_unmap:
	munmap(run, run_size);
out_close:
	close(fd);
	return model;
}

uint32_t fault_model_probe(int kvm)
{
	int vmfd, memfd, run_size;
	uint32_t model = MEMATTR_VM_FAULTS_UNKNOWN;
	uint8_t *ram;

	if (__atomic_load_n(&probed, __ATOMIC_RELAXED) >= 0)
		return (uint32_t)probed;
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		return model;
	memfd = memfd_create("memattr-probe", MFD_CLOEXEC);
	if (memfd < 0)
		return model;
	if (ftruncate(memfd, PROBE_RAM))
		goto out_memfd;
	ram = mmap(NULL, PROBE_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (ram == MAP_FAILED)
		goto out_memfd;
	boot_tables_fill(ram);
	memcpy(ram + PROBE_CODE, probe_code, sizeof(probe_code));
	if (mprotect(ram + PROBE_TARGET, MEMATTR_PAGE_SIZE, PROT_READ))
		goto out_unmap;
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vmfd < 0)
		goto out_unmap;
	model = probe_run(kvm, vmfd, ram, (size_t)run_size);
	close(vmfd);
	/* Only a clear answer is kept: a failure to probe may pass. */
	if (model != MEMATTR_VM_FAULTS_UNKNOWN)
		__atomic_store_n(&probed, (int)model, __ATOMIC_RELAXED);
out_unmap:
	munmap(ram, PROBE_RAM);
out_memfd:
	close(memfd);
	return model;
}

static bool param_yes(const char *path)
{
	FILE *f = fopen(path, "r");
	int c = EOF;

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'Y' || c == 'y' || c == '1';
}

/*
 * Intel EPT with accessed and dirty flags makes every guest paging-structure
 * access a write for EPT (SDM Vol. 3C, "Accessed and Dirty Flags for EPT"):
 * a page table on a PROT_READ page faults even with its flags set.
 * kvm_intel enables it when ept and eptad are both on.  From the SDM, not
 * measured (AMD NPT reads tables and writes them only to set a flag).
 */
bool host_walk_writes(void)
{
	return param_yes("/sys/module/kvm_intel/parameters/ept") &&
	       param_yes("/sys/module/kvm_intel/parameters/eptad");
}
