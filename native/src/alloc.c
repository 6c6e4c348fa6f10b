/* Guest address-space allocator over a sorted extent array (see alloc.h). */
#include "alloc.h"
#include <string.h>

void alloc_init(struct alloc_map *m) {
  m->n = 0;
  m->bytes = 0;
}

uint64_t alloc_find(const struct alloc_map *m, uint64_t lo, uint64_t hi, uint64_t len) {
  if (len == 0 || hi < lo || hi - lo < len) return 0;
  uint64_t top = hi; /* scan gaps from the top down */
  for (int i = (int)m->n - 1; i >= -1; i--) {
    uint64_t gap_lo = i >= 0 ? m->ext[i].start + m->ext[i].len : lo;
    if (gap_lo < lo) gap_lo = lo;
    if (top > hi) top = hi;
    if (top >= gap_lo && top - gap_lo >= len) return top - len;
    if (i >= 0) {
      if (m->ext[i].start < top) top = m->ext[i].start;
      if (top <= lo) return 0;
    }
  }
  return 0;
}

int alloc_overlaps(const struct alloc_map *m, uint64_t start, uint64_t len) {
  uint64_t end = start + len;
  for (uint32_t i = 0; i < m->n; i++)
    if (m->ext[i].start < end && start < m->ext[i].start + m->ext[i].len) return 1;
  return 0;
}

int alloc_insert(struct alloc_map *m, uint64_t start, uint64_t len) {
  if (len == 0 || start + len < start || alloc_overlaps(m, start, len)) return -1;
  uint32_t i = 0;
  while (i < m->n && m->ext[i].start < start) i++;
  int merge_prev = i > 0 && m->ext[i - 1].start + m->ext[i - 1].len == start;
  int merge_next = i < m->n && start + len == m->ext[i].start;
  if (merge_prev && merge_next) {
    m->ext[i - 1].len += len + m->ext[i].len;
    memmove(&m->ext[i], &m->ext[i + 1], (m->n - i - 1) * sizeof(m->ext[0]));
    m->n--;
  } else if (merge_prev) {
    m->ext[i - 1].len += len;
  } else if (merge_next) {
    m->ext[i].start = start;
    m->ext[i].len += len;
  } else {
    if (m->n == ALLOC_MAX_EXT) return -1;
    memmove(&m->ext[i + 1], &m->ext[i], (m->n - i) * sizeof(m->ext[0]));
    m->ext[i].start = start;
    m->ext[i].len = len;
    m->n++;
  }
  m->bytes += len;
  return 0;
}

int alloc_remove(struct alloc_map *m, uint64_t start, uint64_t len) {
  uint64_t end = start + len;
  if (len == 0 || end < start) return 0;
  for (uint32_t i = 0; i < m->n; i++) {
    struct alloc_ext *e = &m->ext[i];
    uint64_t e_end = e->start + e->len;
    if (e_end <= start || e->start >= end) continue;
    if (e->start >= start && e_end <= end) { /* whole extent */
      m->bytes -= e->len;
      memmove(e, e + 1, (m->n - i - 1) * sizeof(*e));
      m->n--;
      i--;
    } else if (e->start < start && e_end > end) { /* split */
      if (m->n == ALLOC_MAX_EXT) return -1;
      memmove(e + 2, e + 1, (m->n - i - 1) * sizeof(*e));
      m->n++;
      e[1].start = end;
      e[1].len = e_end - end;
      e->len = start - e->start;
      m->bytes -= len;
      return 0;
    } else if (e->start < start) { /* cut the tail */
      m->bytes -= e_end - start;
      e->len = start - e->start;
    } else { /* cut the head */
      m->bytes -= end - e->start;
      e->len = e_end - end;
      e->start = end;
    }
  }
  return 0;
}
