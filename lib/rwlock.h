/* The pool lock: many readers (data-path I/O, commands that only look) or
 * one writer (anything that changes maps, RSDs, space or the MLD). The
 * writer may take it again, for reading or writing: a create takes it to
 * write and commits, which takes it again. A reader that needs to write
 * lets go and takes it for writing. */
#ifndef VCTL_LIB_RWLOCK_H
#define VCTL_LIB_RWLOCK_H

#include <pthread.h>
#include <stdbool.h>

struct vctl_rwlock {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned readers;
	unsigned writers_waiting;
	pthread_t writer;
	unsigned depth; /* the writer's nesting; 0 = no writer */
};

void vctl_rwlock_init(struct vctl_rwlock *l);
void vctl_rwlock_destroy(struct vctl_rwlock *l);
void vctl_rwlock_rd(struct vctl_rwlock *l);
void vctl_rwlock_wr(struct vctl_rwlock *l);
void vctl_rwlock_unlock(struct vctl_rwlock *l);

#endif
