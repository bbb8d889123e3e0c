// SPDX-License-Identifier: LGPL-2.1-or-later
/* Baseline: KVM's attribute code on the kernel XArray, in its own process (baseline_xarray.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseline_xarray.h"
#include "common/helper_path.h"

extern char **environ;

#define EXE_NAME  "memattr-bench-xarray"
#define ANSWER_MS (600 * 1000) /* a full run's longest request takes seconds */

static void (*old_sigpipe)(int);

static void unavailable(struct xarray_proc *x, const char *why, const char *detail)
{
	x->ok = false;
	snprintf(x->why, sizeof(x->why), "skipped: %.54s", why);
	snprintf(x->detail, sizeof(x->detail), "%.199s", detail);
}

static int spawn(struct xarray_proc *x, const char *path)
{
	posix_spawn_file_actions_t fa;
	int in[2], out[2], ret;
	char *argv[] = { (char *)EXE_NAME, NULL };

	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		ret = -errno;
		goto out_in;
	}
	ret = -posix_spawn_file_actions_init(&fa);
	if (ret)
		goto out_out;
	ret = -posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	if (!ret)
		ret = -posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	if (!ret)
		ret = -posix_spawn(&x->pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		goto out_out;
	close(in[0]);
	close(out[1]);
	x->to = fdopen(in[1], "w");
	x->from = fdopen(out[0], "r");
	if (!x->to || !x->from)
		return -ENOMEM; /* xarray_stop() closes what was opened */
	return 0;
out_out:
	close(out[0]);
	close(out[1]);
out_in:
	close(in[0]);
	close(in[1]);
	return ret;
}

static int lost(struct xarray_proc *x, const char *what)
{
	unavailable(x, EXE_NAME " failed", "");
	snprintf(x->detail, sizeof(x->detail), EXE_NAME " stopped answering (%s)", what);
	if (x->pid > 0)
		kill(x->pid, SIGKILL);
	xarray_stop(x);
	return -EPIPE;
}

/* The child's next line, within ANSWER_MS (it answers a request once: nothing waits in @from). */
static bool answer(struct xarray_proc *x, char *line, size_t len)
{
	struct pollfd p = { .fd = fileno(x->from), .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, ANSWER_MS);
	while (n < 0 && errno == EINTR);
	return n > 0 && fgets(line, (int)len, x->from);
}

/**
 * xarray_start() - start memattr-bench-xarray and read its greeting
 * @x: zeroed; on return @x->ok, or @x->why and @x->detail
 * @disabled: do not start it (bench --no-xarray)
 */
void xarray_start(struct xarray_proc *x, bool disabled)
{
	char path[PATH_MAX + 32], line[512], rest[400];
	int proto, ret;

	memset(x, 0, sizeof(*x));
	x->pid = -1;
	if (disabled) {
		unavailable(x, "--no-xarray",
			    "the kernel XArray baseline was not run (--no-xarray)");
		return;
	}
	/* $MEMATTR_BENCH_XARRAY, else beside memattr-bench (bench/ in the build tree). */
	if (!helper_path(path, sizeof(path), "MEMATTR_BENCH_XARRAY", EXE_NAME, NULL)) {
		unavailable(x, EXE_NAME " not built", "");
		snprintf(x->detail, sizeof(x->detail),
			 "%.100s not found (built by meson from linux-source-6.12; "
			 "MEMATTR_BENCH_XARRAY may name it)",
			 path);
		return;
	}
	/* A child that dies must not take the bench with it: writes then fail with EPIPE. */
	old_sigpipe = signal(SIGPIPE, SIG_IGN);
	ret = spawn(x, path);
	if (ret) {
		unavailable(x, EXE_NAME " did not start", strerror(-ret));
		xarray_stop(x);
		return;
	}
	if (!answer(x, line, sizeof(line))) {
		unavailable(x, EXE_NAME " did not start", "it said nothing");
		xarray_stop(x);
		return;
	}
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "unavailable ", 12)) {
		/* The stub build.py leaves: a short reason, then the whole story. */
		unavailable(x, line + 12, line + 12);
		if (fgets(rest, sizeof(rest), x->from)) {
			rest[strcspn(rest, "\n")] = '\0';
			snprintf(x->detail, sizeof(x->detail), "%.199s", rest);
		}
		xarray_stop(x);
		return;
	}
	if (sscanf(line, EXE_NAME " %d %31s %llu %u", &proto, x->kernel,
		   (unsigned long long *)&x->node_bytes, &x->chunk) != 4 ||
	    proto != XA_PROTO_VERSION) {
		unavailable(x, EXE_NAME " speaks another protocol", line);
		xarray_stop(x);
		return;
	}
	x->ok = true;
}

/** xarray_stop() - end the child (EOF on its stdin) and wait for it; @x->why etc. stay. */
void xarray_stop(struct xarray_proc *x)
{
	x->ok = false;
	if (x->to)
		fclose(x->to);
	if (x->from)
		fclose(x->from);
	x->to = x->from = NULL;
	if (x->pid > 0)
		waitpid(x->pid, NULL, 0);
	x->pid = -1;
	if (old_sigpipe) {
		signal(SIGPIPE, old_sigpipe);
		old_sigpipe = NULL;
	}
}

/* One request and its answer's three numbers. */
static int request(struct xarray_proc *x, const struct xa_req *rq, const void *data, size_t size,
		   uint64_t out[3])
{
	unsigned long long a, b, c;
	char line[256];

	if (!x->ok)
		return -ENOTSUP;
	if (fwrite(rq, sizeof(*rq), 1, x->to) != 1 ||
	    (rq->n && (!data || fwrite(data, size, rq->n, x->to) != rq->n)) || fflush(x->to))
		return lost(x, "a write failed");
	if (!answer(x, line, sizeof(line)))
		return lost(x, "it exited or went silent");
	if (sscanf(line, "ok %llu %llu %llu", &a, &b, &c) != 3) {
		/* "error ...": this request failed; the child is still there. */
		line[strcspn(line, "\n")] = '\0';
		snprintf(x->why, sizeof(x->why), "skipped: " EXE_NAME " error");
		snprintf(x->detail, sizeof(x->detail), EXE_NAME ": %.150s", line);
		return -EIO;
	}
	out[0] = a;
	out[1] = b;
	out[2] = c;
	return 0;
}

/** xarray_reset() - free @space's layers and start @layers empty ones (one XArray each). */
int xarray_reset(struct xarray_proc *x, enum xa_space space, unsigned int layers)
{
	struct xa_req rq = { .cmd = XA_RESET, .space = space, .arg = layers };
	uint64_t out[3] = { 0 };

	return request(x, &rq, NULL, 0, out);
}

/**
 * xarray_set() - KVM_SET_MEMORY_ATTRIBUTES for each op, in order
 * @x: the child
 * @space: where
 * @ops: the sets
 * @n: how many
 * @ns: their time, all of them
 *
 * Return: 0 or -errno.
 */
int xarray_set(struct xarray_proc *x, enum xa_space space, const struct xa_set_op *ops, size_t n,
	       uint64_t *ns)
{
	struct xa_req rq = { .cmd = XA_SET, .space = space, .n = n };
	uint64_t out[3] = { 0 };
	int ret = request(x, &rq, ops, sizeof(*ops), out);

	*ns = out[0];
	return ret;
}

/** xarray_gfns() - the gfns the next xarray_get() calls look up (@n a power of two). */
int xarray_gfns(struct xarray_proc *x, const uint64_t *gfns, size_t n)
{
	struct xa_req rq = { .cmd = XA_GFNS, .n = n };
	uint64_t out[3] = { 0 };

	return request(x, &rq, gfns, sizeof(*gfns), out);
}

/**
 * xarray_get() - kvm_get_memory_attributes() on each gfn of the last xarray_gfns()
 * @x: the child
 * @space: where
 * @layer: which layer's XArray
 * @chain: each lookup's index depends on the previous value
 * @passes: best of this many
 * @ns: the best pass's time
 * @sum: the values' sum (the same gfns on another implementation give the same)
 *
 * Return: 0 or -errno.
 */
int xarray_get(struct xarray_proc *x, enum xa_space space, unsigned int layer, bool chain,
	       unsigned int passes, uint64_t *ns, uint64_t *sum)
{
	struct xa_req rq = {
		.cmd = chain ? XA_GET_CHAIN : XA_GET, .space = space, .arg = layer, .passes = passes
	};
	uint64_t out[3] = { 0 };
	int ret = request(x, &rq, NULL, 0, out);

	*ns = out[0];
	*sum = out[1];
	return ret;
}

/** xarray_memory() - bytes of @space's XArray nodes (nodes x sizeof(struct xa_node)). */
int xarray_memory(struct xarray_proc *x, enum xa_space space, uint64_t *bytes)
{
	struct xa_req rq = { .cmd = XA_MEMORY, .space = space };
	uint64_t out[3] = { 0 };
	int ret = request(x, &rq, NULL, 0, out);

	*bytes = out[0];
	return ret;
}
