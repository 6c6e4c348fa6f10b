/* Running one request through the C ABI in tests. */
#ifndef IB_TEST_REQUEST_H
#define IB_TEST_REQUEST_H
#include <stddef.h>
#include "isobench.h"

/* runs one request; out is NUL-terminated (empty unless the request ended IB_OK); res may be NULL */
int req(ib_worker *w, const char *in, char *out, size_t cap, ib_request_result *res);
#endif
