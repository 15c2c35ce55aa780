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

#endif
