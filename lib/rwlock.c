#include "rwlock.h"

/* Reads nested in a write count as writer depth, as do nested writes.
 * Reads nested in a read go through even when a writer waits (it waits for
 * this very reader): a per-thread depth says so. One pool lock per
 * process is what vctl has, so one depth per thread suffices. */
static __thread unsigned rd_depth;

void vctl_rwlock_init(struct vctl_rwlock *l)
{
	pthread_mutex_init(&l->m, NULL);
	pthread_cond_init(&l->c, NULL);
	l->readers = l->writers_waiting = l->depth = 0;
}

void vctl_rwlock_destroy(struct vctl_rwlock *l)
{
	pthread_mutex_destroy(&l->m);
	pthread_cond_destroy(&l->c);
}

static bool mine(const struct vctl_rwlock *l)
{
	return l->depth && pthread_equal(l->writer, pthread_self());
}

void vctl_rwlock_rd(struct vctl_rwlock *l)
{
	pthread_mutex_lock(&l->m);
	if (mine(l)) {
		l->depth++;
	} else {
		/* writers first: a stream of reads must not starve a commit */
		while (l->depth || (l->writers_waiting && !rd_depth))
			pthread_cond_wait(&l->c, &l->m);
		l->readers++;
		rd_depth++;
	}
	pthread_mutex_unlock(&l->m);
}

void vctl_rwlock_wr(struct vctl_rwlock *l)
{
	pthread_mutex_lock(&l->m);
	if (mine(l)) {
		l->depth++;
	} else {
		l->writers_waiting++;
		while (l->depth || l->readers)
			pthread_cond_wait(&l->c, &l->m);
		l->writers_waiting--;
		l->writer = pthread_self();
		l->depth = 1;
	}
	pthread_mutex_unlock(&l->m);
}

void vctl_rwlock_unlock(struct vctl_rwlock *l)
{
	pthread_mutex_lock(&l->m);
	if (mine(l)) {
		if (--l->depth == 0)
			pthread_cond_broadcast(&l->c);
	} else if (l->readers) {
		rd_depth--;
		if (--l->readers == 0)
			pthread_cond_broadcast(&l->c);
	}
	pthread_mutex_unlock(&l->m);
}
