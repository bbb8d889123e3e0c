// SPDX-License-Identifier: GPL-2.0-only
/*
 * memattr-bench-xarray: the XArray calls of upstream KVM's attribute code
 * (kvm_attr.c) on the kernel's own lib/xarray.c, built in user space with the
 * shim the kernel's XArray tests use (tools/testing/shared), serving
 * `memattr bench` over a pipe (proto.h).  A process of its own because it is GPL-2.0 kernel code.
 *
 * memattr-bench-xarray          serve requests on stdin
 * memattr-bench-xarray --check  compare the adapter with a byte-per-page model
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_attr.h"
#include <linux/radix-tree.h>
#include "radix-tree.h" /* lib/radix-tree.h: radix_tree_node_cachep */

#include "common/clock.h"
#include "common/heap.h"
#include "proto.h"

/* tools/testing/shared/linux.c: the shim's slab; its headers do not declare these. */
void kmem_cache_set_non_kernel(struct kmem_cache *cachep, unsigned int val);
unsigned long kmem_cache_nr_allocated(struct kmem_cache *cachep);

struct space {
	unsigned int layers;
	struct kvm vm[XA_MAX_LAYERS];
};

static struct space spaces[XA_SPACES];
static uint64_t *gfns;
static size_t ngfns;

/*
 * The shim fails every allocation without __GFP_DIRECT_RECLAIM unless told
 * otherwise, to drive xas_nomem()'s retry in the tests.  In the kernel, the
 * GFP_NOWAIT node allocation xas_alloc() makes under the lock is served from
 * the slab's per-CPU cache and practically never fails; allow it here too,
 * as the maple tree tests do with mt_set_non_kernel().
 */
static void allow_nowait(void)
{
	kmem_cache_set_non_kernel(radix_tree_node_cachep, UINT_MAX);
}

/* Free @sp's XArrays, wait for RCU to free their nodes, then give it @layers empty ones. */
static void space_reset(struct space *sp, unsigned int layers)
{
	for (unsigned int l = 0; l < sp->layers; l++)
		kvm_attr_destroy(&sp->vm[l]);
	rcu_barrier();
	sp->layers = layers;
	for (unsigned int l = 0; l < layers; l++)
		kvm_attr_init(&sp->vm[l]);
}

/* Nodes under @entry: the XArray's memory is its nodes (the head lives in struct kvm). */
static uint64_t nodes_of(void *entry)
{
	struct xa_node *node;
	uint64_t n = 1;

	if (!xa_is_node(entry))
		return 0;
	node = xa_to_node(entry);
	if (node->shift)
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
			n += nodes_of(node->slots[i]);
	return n;
}

static uint64_t space_nodes(const struct space *sp)
{
	uint64_t n = 0;

	for (unsigned int l = 0; l < sp->layers; l++)
		n += nodes_of(sp->vm[l].mem_attr_array.xa_head);
	return n;
}

/* Nodes the shim's kmem_cache holds, once RCU has freed what it was given. */
static uint64_t nodes_alive(void)
{
	rcu_barrier();
	return kmem_cache_nr_allocated(radix_tree_node_cachep);
}

static int apply(struct space *sp, const struct xa_set_op *ops, size_t n)
{
	allow_nowait();
	for (size_t i = 0; i < n; i++) {
		int r = kvm_vm_set_mem_attributes(&sp->vm[ops[i].layer], ops[i].gfn,
						  ops[i].gfn + ops[i].npages, ops[i].value);

		if (r)
			return r;
	}
	return 0;
}

static uint64_t lookups(struct kvm *vm, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += kvm_get_memory_attributes(vm, g[i]);
	return sum;
}

/* Each lookup waits for the previous one, as bench/run_lookup.c's chains; @n a power of two. */
static uint64_t chain(struct kvm *vm, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned long v = kvm_get_memory_attributes(vm, g[j]);

		sum += v;
		j = (j + 1 + (v >> 8)) & (n - 1);
	}
	return sum;
}

static void *payload(uint64_t n, size_t size)
{
	void *p;

	if (n > SIZE_MAX / size)
		return NULL;
	p = malloc(n * size + 1);
	if (p && fread(p, size, n, stdin) != n) {
		free(p);
		return NULL;
	}
	return p;
}

static void reply(uint64_t a, uint64_t b, uint64_t c)
{
	printf("ok %llu %llu %llu\n", (unsigned long long)a, (unsigned long long)b,
	       (unsigned long long)c);
}

static bool ops_valid(const struct space *sp, const struct xa_set_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].layer >= sp->layers || !ops[i].npages ||
		    ops[i].gfn + ops[i].npages < ops[i].gfn)
			return false;
	return true;
}

/* One request; false when the pipe is broken and the session ends. */
static bool serve(const struct xa_req *rq)
{
	struct space *sp = &spaces[rq->space];
	struct xa_set_op *ops;
	uint64_t t0, best = UINT64_MAX, sum = 0;

	switch (rq->cmd) {
	case XA_RESET:
		if (rq->arg > XA_MAX_LAYERS) {
			printf("error too many layers\n");
			return true;
		}
		space_reset(sp, rq->arg);
		reply(0, 0, 0);
		return true;
	case XA_SET:
		ops = payload(rq->n, sizeof(*ops));
		if (!ops)
			return false;
		if (!ops_valid(sp, ops, rq->n)) {
			printf("error bad set\n");
		} else {
			int r;

			t0 = now_ns();
			r = apply(sp, ops, rq->n);
			t0 = now_ns() - t0;
			if (r)
				printf("error set: %s\n", strerror(-r));
			else
				reply(t0, 0, 0);
		}
		free(ops);
		return true;
	case XA_GFNS:
		free(gfns);
		ngfns = 0;
		gfns = payload(rq->n, sizeof(*gfns));
		if (!gfns)
			return false;
		ngfns = rq->n;
		reply(0, 0, 0);
		return true;
	case XA_GET:
	case XA_GET_CHAIN:
		if (rq->arg >= sp->layers || !ngfns || (ngfns & (ngfns - 1)) || !rq->passes) {
			printf("error bad lookup\n");
			return true;
		}
		for (uint32_t k = 0; k < rq->passes; k++) {
			t0 = now_ns();
			sum = rq->cmd == XA_GET ? lookups(&sp->vm[rq->arg], gfns, ngfns)
						: chain(&sp->vm[rq->arg], gfns, ngfns);
			t0 = now_ns() - t0;
			best = t0 < best ? t0 : best;
		}
		reply(best, sum, 0);
		return true;
	case XA_MEMORY: {
		uint64_t nodes = space_nodes(sp);

		reply(nodes * sizeof(struct xa_node), nodes, nodes_alive());
		return true;
	}
	default:
		printf("error unknown request %u\n", rq->cmd);
		return true;
	}
}

static int run(void)
{
	struct xa_req rq;

	printf("memattr-bench-xarray %d %s %zu %lu\n", XA_PROTO_VERSION, XA_KERNEL_RELEASE,
	       sizeof(struct xa_node), (unsigned long)XA_CHUNK_SIZE);
	fflush(stdout);
	while (fread(&rq, sizeof(rq), 1, stdin) == 1) {
		if (rq.space >= XA_SPACES || !serve(&rq))
			return 1;
		if (fflush(stdout))
			return 1;
	}
	return 0;
}

#define CHECK_PAGES 65536

static int fail(const char *what, unsigned long a, unsigned long b)
{
	fprintf(stderr, "memattr-bench-xarray --check: %s (%lu, %lu)\n", what, a, b);
	return 1;
}

/*
 * The adapter against a byte per page: random range sets (0 erases), each
 * followed by range queries, every page read back at the end, and the nodes
 * the walk counts equal to those the slab holds.
 */
static int check(void)
{
	static const uint8_t values[] = { 0, 0x1, 0x3, 0x5, 0x7, 0x10, 0x18, 0x21 };
	static uint8_t model[CHECK_PAGES];
	struct space *sp = &spaces[XA_SPACE_SCRATCH];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	space_reset(sp, 1);
	allow_nowait();
	for (int op = 0; op < 4000; op++) {
		unsigned long start, len, v, q0, q1;
		bool want = true;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		start = (seed >> 33) % CHECK_PAGES;
		len = op % 7 ? 1 + (seed >> 20) % 64 : 1 + (seed >> 20) % 4096;
		len = start + len > CHECK_PAGES ? CHECK_PAGES - start : len;
		v = values[(seed >> 12) % sizeof(values)];
		if (kvm_vm_set_mem_attributes(&sp->vm[0], start, start + len, v))
			return fail("set failed", start, len);
		memset(model + start, (int)v, len);

		q0 = (seed >> 40) % CHECK_PAGES;
		q1 = q0 + 1 + (seed >> 8) % 300;
		q1 = q1 > CHECK_PAGES ? CHECK_PAGES : q1;
		v = model[q0];
		for (unsigned long g = q0; g < q1; g++)
			want = want && model[g] == v;
		if (kvm_range_has_memory_attributes(&sp->vm[0], q0, q1, ~0UL, v) != want)
			return fail("range_has disagrees", q0, q1);
	}
	for (unsigned long g = 0; g < CHECK_PAGES; g++)
		if (kvm_get_memory_attributes(&sp->vm[0], g) != model[g])
			return fail("lookup disagrees", g, model[g]);
	if (space_nodes(sp) != nodes_alive())
		return fail("node count", space_nodes(sp), nodes_alive());
	space_reset(sp, 0);
	if (nodes_alive())
		return fail("nodes left", nodes_alive(), 0);
	printf("memattr-bench-xarray --check: ok (Linux %s lib/xarray.c)\n", XA_KERNEL_RELEASE);
	return 0;
}

/*
 * The kernel reaches XArray nodes through its direct map, in 2 MiB and 1 GiB
 * pages, and its slab reuses freed pages without faults.  malloc() here would
 * add 4 KiB TLB misses and page faults on every fresh run that the kernel does
 * not pay: ask glibc (>= 2.35) for transparent huge pages under the heap, by
 * running again with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (the host's THP
 * setting decides); grow the heap in 64 MiB steps and keep freed memory in
 * it between runs (common/heap.h, as memattr-bench does).
 */
static void kernel_like_heap(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES");
	char buf[512], self[PATH_MAX];
	ssize_t n;

	if (!t || !strstr(t, "glibc.malloc.hugetlb=")) {
		snprintf(buf, sizeof(buf), "%s%sglibc.malloc.hugetlb=1", t ? t : "", t ? ":" : "");
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0 && !setenv("GLIBC_TUNABLES", buf, 1)) {
			self[n] = '\0';
			execv(self, argv); /* on failure, 4 KiB pages it is */
		}
	}
	heap_keep_freed();
}

int main(int argc, char **argv)
{
	int ret;

	kernel_like_heap(argv);
	rcu_register_thread();
	radix_tree_init();
	ret = argc > 1 && !strcmp(argv[1], "--check") ? check() : run();
	for (unsigned int s = 0; s < XA_SPACES; s++)
		space_reset(&spaces[s], 0);
	free(gfns);
	rcu_barrier();
	rcu_unregister_thread();
	return ret;
}
