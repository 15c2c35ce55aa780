#ifndef VCTL_FMT_NAMES_H
#define VCTL_FMT_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#define VCTL_NAME_MAX 64

/* Names of volumes, enclosures, hosts, domains: [A-Za-z0-9._-]{1,64},
 * not "." or "..". */
bool vctl_name_valid(const char *s);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
void vctl_uuid_fmt(const uint8_t uuid[16], char out[37]);
bool vctl_uuid_is_zero(const uint8_t uuid[16]);

#endif
