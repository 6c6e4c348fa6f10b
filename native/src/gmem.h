/* Safe access to guest memory from the host. Guest addresses are identity-mapped, so a
 * translation is a bounds check against the user range [L_USER, mem_size). Never dereference a
 * guest pointer any other way. Every host write marks the pages in vm->host_dirty so that the
 * `pages` reset restores them too, and writes only ever go through the VM's own mapping (a
 * worker's is MAP_PRIVATE: the master and siblings never see them). */
#ifndef IB_GMEM_H
#define IB_GMEM_H
#include "engine.h"

/* 1 when [gva, gva+len) lies in the guest's user range */
int gm_valid(const struct vm *vm, uint64_t gva, uint64_t len);
/* host pointer for reading len bytes at gva, or NULL */
const void *gm_read_ptr(const struct vm *vm, uint64_t gva, uint64_t len);
/* host pointer for writing len bytes at gva (marks them dirty), or NULL; NULL too when the write
 * would take a worker past its per-request memory cap (the request is then stopped, limit-memory) */
void *gm_write_ptr(struct vm *vm, uint64_t gva, uint64_t len);
/* 0 or -EFAULT */
int gm_read(const struct vm *vm, uint64_t gva, void *dst, uint64_t len);
int gm_write(struct vm *vm, uint64_t gva, const void *src, uint64_t len);
int gm_zero(struct vm *vm, uint64_t gva, uint64_t len);
/* copies a NUL-terminated guest string into dst[cap]; length, -EFAULT or -ENAMETOOLONG */
long gm_read_str(const struct vm *vm, uint64_t gva, char *dst, size_t cap);
/* mark guest pages written by the host (for writes done without gm_write, e.g. read(2) into a gm_write_ptr) */
void gm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len);

#endif
