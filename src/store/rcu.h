/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store's use of RCU (liburcu-bp): read-side sections for readers, and
 * the ThreadSanitizer annotations that make grace periods visible to it.
 *
 * liburcu-bp waits for readers with membarrier(2), which ThreadSanitizer does
 * not model; without help it would report every RCU-deferred free as racing
 * with the reads it waited for.  Under TSan each reader "releases" a sync
 * object when it leaves its section and the free "acquires" it: exactly the
 * ordering a grace period guarantees.
 */
#ifndef MEMATTR_STORE_RCU_H
#define MEMATTR_STORE_RCU_H

#include <urcu-bp.h>

#if defined(__SANITIZE_THREAD__)
#define MEMATTR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MEMATTR_TSAN 1
#endif
#endif

#ifdef MEMATTR_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char rcu_tsan_sync;
#endif

static inline void reader_lock(void)
{
	urcu_bp_read_lock();
}

static inline void reader_unlock(void)
{
#ifdef MEMATTR_TSAN
	__tsan_release(&rcu_tsan_sync);
#endif
	urcu_bp_read_unlock();
}

/* Call after a grace period, before freeing what readers may have seen. */
static inline void grace_period_passed(void)
{
#ifdef MEMATTR_TSAN
	__tsan_acquire(&rcu_tsan_sync);
#endif
}

/*
 * A retire batch is built by the writer and read by liburcu's call_rcu
 * thread; call_rcu's queue orders the two, invisibly to ThreadSanitizer.
 */
static inline void handover_release(void *p)
{
#ifdef MEMATTR_TSAN
	__tsan_release(p);
#else
	(void)p;
#endif
}

static inline void handover_acquire(void *p)
{
#ifdef MEMATTR_TSAN
	__tsan_acquire(p);
#else
	(void)p;
#endif
}

#endif /* MEMATTR_STORE_RCU_H */
