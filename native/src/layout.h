/* Guest physical = guest virtual layout (identity map). Shared by the host and stub.S. */
#ifndef IB_LAYOUT_H
#define IB_LAYOUT_H

#define GPAGE 4096ULL
#define HUGE2M 0x200000ULL

#define L_PML4 0x1000ULL     /* supervisor */
#define L_PDPT 0x2000ULL     /* supervisor */
#define L_PT0 0x3000ULL      /* 4 KiB entries for the first 2 MiB */
#define L_PD0 0x100000ULL    /* one PD per GiB, up to L_PD_MAX of them (not mapped in the guest) */
#define L_PD_MAX 128         /* => guest memory <= 128 GiB (sparse: V8 reserves 48 GiB, see DESIGN.md) */
#define L_GDT 0xC000ULL      /* GDT + TSS, supervisor */
#define L_IDT 0xD000ULL      /* supervisor */
#define L_IST 0xE000ULL      /* 2 pages of exception stack, supervisor */
#define L_IST_TOP 0x10000ULL
#define L_STUB 0x10000ULL    /* stub code: user, read-only, executable */
#define L_DATA 0x11000ULL    /* stub data: user, read-only (host writes) */
#define L_SCRATCH 0x12000ULL /* stub scratch: user, read-write, NX */
#define L_XSAVE 0x13000ULL   /* frozen FPU/XSAVE image (2 pages), user read-only, NX */
#define L_LOW_END 0x15000ULL /* first page not mapped in the low 2 MiB */
#define L_PML4_ALT 0x15000ULL /* a copy of the PML4: switching CR3 between the two flushes the TLB (pt_prot.c) */
#define L_PT_POOL 0x16000ULL /* page tables of split 2 MiB regions: pool up to L_USER, minus the PDs (not mapped) */
#define L_PT_POOL_SLOTS ((L_USER - L_PT_POOL) / GPAGE)
#define L_USER 0x200000ULL   /* guest program memory starts here (2 MiB pages) */

/* RFLAGS user code may hold (CF PF AF ZF SF DF OF AC ID) and the fixed bit 1: what the ring-0
 * path's sysretq and the host's syscall return allow from R11 (never IOPL, TF, IF, NT, RF, VM) */
#define RFLAGS_USER 0x240CD5
#define RFLAGS_FIXED 0x2
/* SYSCALL clears these on entry (MSR FMASK): TF IF DF IOPL NT AC */
#define RFLAGS_SYSCALL_MASK 0x47700

/* I/O ports: the stub's syscall exit and the exception report */
#define PORT_SYSCALL 0xE0
#define PORT_FAULT 0xE1

/* offsets in the data page */
#define D_RING0 0x00      /* 1 when SYSCALL enters ring 0 (hardware KVM) */
#define D_TSC_BASE 0x08   /* guest TSC at the base instant */
#define D_MULT 0x10       /* ns per TSC tick, 32.32 fixed point */
#define D_REAL_NS 0x18    /* CLOCK_REALTIME at the base instant, ns */
#define D_MONO_NS 0x20    /* CLOCK_MONOTONIC at the base instant, ns */
#define D_PID 0x28        /* getpid/gettid answer */
#define D_MEM_END 0x30    /* end of guest memory */
#define D_RESUME_RIP 0x38 /* resume trampoline: where to go */
#define D_RESUME_RAX 0x40
#define D_RESUME_RDX 0x48
#define D_RESUME_FS 0x50
#define D_RESUME_GS 0x58
#define D_XCR0 0x60       /* xrstor mask */
#define D_RESUME_SEL 0xf8 /* frozen DS, ES, FS, GS selectors (4 x 16 bits) */
/* thread switch (src/threads.c): the host loads the next thread's GPRs into synced regs with
 * rip = S_SWITCH; the stub saves the FPU state and FS/GS bases of the thread that stopped into
 * D_SW_OLD, restores FPU state from D_SW_NEW, FS/GS and rax/rcx/rdx from here, jumps to D_SW_RIP */
#define D_TID 0x68        /* gettid answer: the running guest thread */
#define D_SW_OLD 0x70     /* save area of the outgoing thread (XSAVE image, 64-byte aligned) */
#define D_SW_NEW 0x78     /* XSAVE image to restore */
#define D_SW_FS 0x80
#define D_SW_GS 0x88
#define D_SW_RAX 0x90
#define D_SW_RCX 0x98
#define D_SW_RDX 0xa0
#define D_SW_RIP 0xa8
/* guest-side send buffer (sys_net.c): while a worker serves a connection the host puts its guest fd
 * + 1 here (0 = none); the stub appends sendto(fd, buf, len, 0|MSG_NOSIGNAL|MSG_DONTWAIT, NULL, 0)
 * on that fd to the buffer on the scratch page, and the host drains it at the next exit, before
 * handling the call (so the order of the bytes is kept). The guest can only corrupt its own output. */
#define D_CONN_FD1 0xb0
#define SC_SEND_LEN 0x100   /* scratch page: bytes in the send buffer */
#define SC_SEND_DATA 0x200  /* scratch page: the send buffer */
#define SC_SEND_CAP 0xe00
#define SW_AREA_FS 0xf00  /* offsets in a thread save area (one page): saved FS/GS bases */
#define SW_AREA_GS 0xf08

/* ---- connection fast paths (sys_net.c, stub.S net_* paths): the stub answers these calls on the
 * worker's current connection without an exit. Data-page fields are host-written (the guest
 * cannot change them); scratch-page fields are guest-writable and the host clamps/validates them. */
#define D_RECV_FD1 0x100  /* guest fd + 1 whose recvfrom(fd, buf, len, 0|MSG_DONTWAIT, NULL, _) the stub answers (0 = none) */
#define D_PRE_LEN 0x108   /* prefetched request bytes published at D_PRE_DATA (<= D_PRE_CAP) */
#define D_NAME_FD1 0x110  /* guest fd + 1 whose getsockname the stub answers from D_NAME (0 = none) */
#define D_NAME_LEN 0x118  /* length of the sockaddr at D_NAME (<= 32) */
#define D_NAME 0x120      /* the connection's local address (32 bytes) */
#define D_PRE_DATA 0x200  /* prefetched request bytes */
#define D_PRE_CAP 0xe00
#define SC_PRE_OFF 0x40   /* scratch: bytes of D_PRE_DATA the guest consumed (host clamps to D_PRE_LEN) */
#define SC_SHUT_WR 0x48   /* scratch: the guest did shutdown(conn, SHUT_WR); applied by the host at the next exit */
#define SC_NET_SAVE 0x50  /* scratch: 4 register save slots of the net fast paths */
#define S_NETPATH 0xa00   /* stub: shared (ring-independent) net fast paths, after the vectors */
/* accept at resume: the host installs the handed-over connection (at the lowest free fd, as the
 * guest's accept would) when it resumes the worker; the stub returns it to an accept/accept4 on
 * D_ACC_LFD1 - 1 with exactly D_ACC_FLAGS, writing D_PEER. SC_PREACC: 1 = installed, not taken
 * (the other fast paths exit), 2 = taken by the stub; the host settles it at the next exit. */
#define D_ACC_LFD1 0x160
#define D_ACC_FLAGS 0x168
#define D_ACC_GFD 0x170
#define D_PEER_LEN 0x178
#define D_PEER 0x180      /* 32 bytes */
#define SC_PREACC 0x70
/* getpeername on D_NAME_FD1 - 1 is answered from D_PEER/D_PEER_LEN (publish_name writes both). */
/* a further accept/accept4 on D_AGAIN_LFD1 - 1 (a non-blocking listener, no connection pending
 * for this worker) gets EAGAIN from the stub, as from the host (0 = none) */
#define D_AGAIN_LFD1 0x1a0
/* setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &v, 4..256): recorded here (1: v != 0, 2: v == 0);
 * the host applies it to the connection (flag and host socket) at the next exit, before draining
 * the send buffer, or when the run stops */
#define SC_NODELAY 0x78
/* epoll_ctl(D_EP_FD1 - 1, ADD|DEL, conn, ev) on the connection: the host publishes the epoll fd
 * the guest used for connections before (learned, re-checked after every exit) and whether the
 * connection is in that set (D_EP_IN: 1 = DEL answerable, 0 = ADD answerable, a slot is free).
 * The stub records one op (SC_EPOP 1 = ADD with SC_EPEV/SC_EPDATA, 2 = DEL); the host applies it
 * at the next exit before that exit's call, or when the run stops. */
#define D_EP_FD1 0x1a8
#define D_EP_IN 0x1b0
#define SC_EPOP 0x80
#define SC_EPEV 0x88
#define SC_EPDATA 0x90

/* stub entry points: offsets from L_STUB (checked by a static assert in kvm.c) */
#define S_ENTRY_R3 0x000
#define S_ENTRY_R0 0x200
#define S_RET_R0 0x3c0   /* ring-0 path: the only return to guest code (sysretq, masked RFLAGS) */
#define S_CSTAR 0x3e0    /* SYSCALL from compatibility mode: ud2 */
#define S_RESUME 0x400
#define S_PROBE 0x480
#define S_SWITCH 0x500  /* thread switch trampoline */
#define S_VECTORS 0x800 /* 32 handlers, 16 bytes each */

/* hypercall numbers (rax) for test guests, outside Linux's syscall range */
#define HC_READY 0x1000
#define HC_NEXT_REQUEST 0x1001
#define HC_REQUEST_DONE 0x1002
#define HC_NOP 0x1003
#define HC_PROBE 0x10ff

#endif
