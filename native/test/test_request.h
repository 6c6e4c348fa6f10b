/* Running one request through the C ABI in tests. */
#ifndef IB_TEST_REQUEST_H
#define IB_TEST_REQUEST_H
#include <stddef.h>
#include "isobench.h"

/* runs one request; out is NUL-terminated (empty unless the request ended IB_OK); res may be NULL */
int req(ib_worker *w, const char *in, char *out, size_t cap, ib_request_result *res);
/* creates the master of build/guests/<name> (64 MiB unless lim says otherwise) and runs it to
 * ready; NULL after printing why */
ib_master *boot_guest(const char *name, const ib_limits *lim);
/* the reqs guest with `mem` bytes of memory and a per-request memory cap (0: none) */
ib_master *boot_reqs(uint64_t mem, uint64_t cap);
/* host fds open in this process */
int host_fd_count(void);
#endif
