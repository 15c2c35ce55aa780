/* Every byte vctl writes to a member disk goes through these calls, so that
 * one place counts writes and flushes and can inject faults (DESIGN.md 4):
 *
 *   VCTL_FAULT=stop@N    die by SIGKILL instead of doing write/flush N
 *   VCTL_FAULT=eio@N     write/flush N fails with EIO, once
 *   VCTL_FAULT=eio@N+    write/flush N and every later one fail with EIO
 *   VCTL_FAULT_COUNT=F   at exit, write the number of writes+flushes to F
 *
 * N counts from 1 over the whole process. */
#ifndef VCTL_LIB_IO_H
#define VCTL_LIB_IO_H

#include <stddef.h>
#include <stdint.h>

/* Full read; returns bytes read (short only at end of file) or -errno. */
long long vctl_io_pread(int fd, void *buf, size_t len, uint64_t off);
/* Full write; 0 or -errno. */
int vctl_io_pwrite(int fd, const void *buf, size_t len, uint64_t off);
struct iovec;
/* Vectored full read / write (the iovec array may be modified). */
int vctl_io_preadv(int fd, struct iovec *iov, int n, uint64_t off);
int vctl_io_pwritev(int fd, struct iovec *iov, int n, uint64_t off);
/* fdatasync; 0 or -errno. */
int vctl_io_flush(int fd);
/* Makes [off, off+len) read as zeros: a hole punched in an image file,
 * BLKZEROOUT on a block device, else written zeros. One fault point. */
int vctl_io_zero(int fd, uint64_t off, uint64_t len);

/* Writes+flushes done so far by this process. */
uint64_t vctl_io_ops(void);

/* Test hooks for the crash-sweep driver (tests/crash/sweep.c), which forks
 * a child per fault point instead of exec'ing vctl with VCTL_FAULT. */
enum vctl_io_fault {
	VCTL_IO_FAULT_NONE = 0,
	VCTL_IO_FAULT_STOP,        /* as stop@N: SIGKILL instead of point N */
	VCTL_IO_FAULT_EIO_ONCE,    /* as eio@N */
	VCTL_IO_FAULT_EIO_PERSIST, /* as eio@N+ */
};
/* Replaces what VCTL_FAULT set, and restarts the count: the next write or
 * flush is point 1. */
void vctl_io_fault_set(enum vctl_io_fault mode, uint64_t at);

/* The power-loss log: after vctl_io_log_start(fd, flags), every write,
 * zero and flush that is done (not failed by a fault) appends one record
 * to fd, in the order done: a struct vctl_io_rec in host byte order,
 * followed for VCTL_IO_REC_WRITE by its len bytes of data if flags has
 * VCTL_IO_LOG_DATA (else the record only says which bytes changed, and
 * its crc what they became). The
 * file a record is about is named by the (dev, ino) of its descriptor. A
 * test stream read back by the same build, never an on-disk format.
 * vctl_io_log_start(-1, 0) stops. */
#define VCTL_IO_LOG_DATA 0x1u
enum vctl_io_rec_type {
	VCTL_IO_REC_WRITE = 1,
	VCTL_IO_REC_ZERO = 2,  /* [off, off+len) reads as zeros */
	VCTL_IO_REC_FLUSH = 3, /* fdatasync of the file: its earlier writes are durable */
};
struct vctl_io_rec {
	uint32_t type;
	uint32_t crc; /* a write: zlib crc32 of its data */
	uint64_t dev, ino;
	uint64_t off, len;
};
void vctl_io_log_start(int fd, unsigned flags);

#endif
