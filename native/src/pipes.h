/* Pipes and socketpairs the master opened before the freeze, made private to every worker
 * (src/pipes.c). Both ends of one pipe/pair carry the same pair id in fd_ofd.pos (unused for
 * FDK_PIPE otherwise): pipes_mark_pair at creation, so a worker can rebuild the pair. */
#ifndef IB_PIPES_H
#define IB_PIPES_H
#include "fdtable.h"

/* end 0: a pipe's read end / socketpair sv[0]; end 1: write end / sv[1] */
void pipes_mark_pair(struct fd_ofd *end0, struct fd_ofd *end1);
/* worker fork: gives every FDK_PIPE OFD of t (the worker's copy of the master's table) a host
 * fd of the worker's own pipe/pair holding what the master's held at the freeze. An OFD it
 * cannot give one gets host_fd -1 (the caller treats it as closed). */
void pipes_fork(struct vm *child, struct vm *master, struct fd_table *t);

#endif
