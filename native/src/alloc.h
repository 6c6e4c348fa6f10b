/* Guest address-space allocator: a sorted array of allocated extents. Plain data so that a
 * whole map can be snapshotted and restored by assignment. */
#ifndef IB_ALLOC_H
#define IB_ALLOC_H
#include <stdint.h>

#define ALLOC_MAX_EXT 1024

struct alloc_ext {
  uint64_t start, len;
};

struct alloc_map {
  uint32_t n;
  uint64_t bytes; /* total allocated */
  struct alloc_ext ext[ALLOC_MAX_EXT];
};

void alloc_init(struct alloc_map *m);
/* highest free gap of len bytes in [lo, hi); 0 when none */
uint64_t alloc_find(const struct alloc_map *m, uint64_t lo, uint64_t hi, uint64_t len);
/* mark [start, start+len) allocated (merging neighbours); 0, or -1 when it overlaps or the map is full */
int alloc_insert(struct alloc_map *m, uint64_t start, uint64_t len);
/* mark [start, start+len) free (parts not allocated are ignored); 0, or -1 when the map is full */
int alloc_remove(struct alloc_map *m, uint64_t start, uint64_t len);
/* 1 when any byte of [start, start+len) is allocated */
int alloc_overlaps(const struct alloc_map *m, uint64_t start, uint64_t len);

#endif
