/* The NBD backend of `vctl serve`: exports are the pool's volumes. */
#ifndef VCTL_LIB_SERVE_H
#define VCTL_LIB_SERVE_H

#include "nbd_server.h"
#include "pool.h"

extern const struct vctl_nbd_backend_ops vctl_serve_ops;
/* The opaque pointer the ops take is the pool. */

#endif
