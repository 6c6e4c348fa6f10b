/* The guest-side stub, copied by the host to guest address L_STUB (user-accessible, read-only,
 * executable). Position-dependent on purpose: it addresses the data and scratch pages absolutely.
 * It never touches the guest stack (a leaf function's red zone may be live across syscall). */
#include "layout.h"

#define DATA(off) (L_DATA + (off))

  .section .rodata.ib_stub, "a"
  .code64
  .globl ib_stub_start
  .globl ib_stub_end
  .balign 4096
ib_stub_start:

/* SYSCALL entry. \ring0 selects the return: SYSCALL entered ring 0 (hardware KVM) -> sysretq;
 * still ring 3 (kvm_pvm) -> jmp *%rcx (RFLAGS: FMASK is 0, the host restores R11 on slow path). */
.macro SYSCALL_ENTRY ring0
  cmp $158, %rax              /* arch_prctl */
  je 10f
  cmp $228, %rax              /* clock_gettime */
  je 20f
  cmp $39, %rax               /* getpid */
  je 30f
  cmp $186, %rax              /* gettid */
  je 31f
  cmp $44, %rax               /* sendto */
  je net_sendto
  cmp $45, %rax               /* recvfrom */
  je net_recvfrom
  cmp $51, %rax               /* getsockname */
  je net_getsockname
  cmp $52, %rax               /* getpeername */
  je net_getpeername
  cmp $54, %rax               /* setsockopt */
  je net_setsockopt
  cmp $233, %rax              /* epoll_ctl */
  je net_epoll_ctl
  cmp $48, %rax               /* shutdown */
  je net_shutdown
  cmp $288, %rax              /* accept4 */
  je net_accept4
  cmp $43, %rax               /* accept */
  je net_accept
5:
  out %al, $PORT_SYSCALL      /* the host handles the call and sets rax (and rflags = r11) */
6:
  .if \ring0
  jmp ret_r0
  .else
  jmp *%rcx
  .endif

10: /* arch_prctl(ARCH_SET_FS, addr) with a canonical user address never leaves the guest */
  cmp $0x1002, %rdi
  jne 5b
  mov %rsi, %rax
  shr $47, %rax
  mov $158, %eax              /* mov keeps ZF from shr */
  jnz 5b
  wrfsbase %rsi
  xor %eax, %eax
  jmp 6b

20: /* clock_gettime(clk, ts) for REALTIME(0) MONOTONIC(1) RAW(4) REAL_COARSE(5) MONO_COARSE(6) BOOTTIME(7) */
  cmp $7, %rdi
  ja 5b
  cmp $2, %rdi
  je 5b
  cmp $3, %rdi
  je 5b
  cmp $L_USER, %rsi
  jb 5b
  mov DATA(D_MEM_END), %rax
  sub $16, %rax
  cmp %rax, %rsi
  mov $228, %eax
  ja 5b
  mov %rdx, L_SCRATCH
  mov %r8, L_SCRATCH + 8
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
  sub DATA(D_TSC_BASE), %rax
  mulq DATA(D_MULT)
  shrd $32, %rdx, %rax
  mov DATA(D_MONO_NS), %r8
  test %rdi, %rdi
  jz 21f
  cmp $5, %rdi
  jne 22f
21:
  mov DATA(D_REAL_NS), %r8
22:
  add %r8, %rax
  xor %edx, %edx
  mov $1000000000, %r8
  div %r8
  mov %rax, (%rsi)
  mov %rdx, 8(%rsi)
  mov L_SCRATCH, %rdx
  mov L_SCRATCH + 8, %r8
  xor %eax, %eax
  jmp 6b

30: /* getpid */
  mov DATA(D_PID), %eax
  jmp 6b
31: /* gettid: the running guest thread (src/threads.c keeps it current) */
  mov DATA(D_TID), %eax
  jmp 6b

.endm

  .org S_ENTRY_R3
entry_r3:
  SYSCALL_ENTRY 0

  .org S_ENTRY_R0
entry_r0:
  SYSCALL_ENTRY 1

/* The one way back to guest code on the ring-0 path (hardware KVM): SYSRET to CPL 3 at rcx with
 * RFLAGS from r11, masked to the flags user code may hold (no IOPL, TF, NT, IF, VM, RF). Every
 * syscall return, the resume trampoline and the thread switch end here (the host points their
 * D_RESUME_RIP / D_SW_RIP at it), so ring 0 never jumps to an address the guest chose. */
  .org S_RET_R0
ret_r0:
  and $RFLAGS_USER, %r11
  or $RFLAGS_FIXED, %r11
  sysretq

/* SYSCALL from compatibility mode lands at CSTAR: refused with #UD (the host reports the fault) */
  .org S_CSTAR
cstar:
  ud2

/* Resume trampoline: puts back the frozen data selectors, FPU/XSAVE state and FS/GS bases, then
 * jumps to the frozen RIP (ring-0 path: ret_r0, i.e. sysretq to the frozen rcx). The host sets
 * every general register (and rflags) through synced regs and points rip here: a reset needs no
 * KVM_SET_SREGS / KVM_SET_XSAVE ioctl. Nothing here changes flags. */
  .org S_RESUME
resume:
  /* the data segment selectors the master froze (ring 3 may load another DPL-3 selector or a
   * null one); before the bases, which a selector load clears */
  movzwl DATA(D_RESUME_SEL), %eax
  mov %eax, %ds
  movzwl DATA(D_RESUME_SEL + 2), %eax
  mov %eax, %es
  movzwl DATA(D_RESUME_SEL + 4), %eax
  mov %eax, %fs
  movzwl DATA(D_RESUME_SEL + 6), %eax
  mov %eax, %gs
  mov DATA(D_XCR0), %eax
  mov $0, %edx
  xrstor L_XSAVE
  mov DATA(D_RESUME_FS), %rax
  wrfsbase %rax
  mov DATA(D_RESUME_GS), %rax
  wrgsbase %rax
  mov DATA(D_RESUME_RAX), %rax
  mov DATA(D_RESUME_RDX), %rdx
  jmp *DATA(D_RESUME_RIP)

/* Probe run once per master: guest TSC in rbx, then a syscall; the host looks at CS. */
  .org S_PROBE
probe:
  rdtsc
  shl $32, %rdx
  or %rdx, %rax
  mov %rax, %rbx
  mov $HC_PROBE, %eax
  syscall
  ud2

/* Thread switch (src/threads.c): the host has loaded the next thread's general registers and
 * pointed rip here. The FPU/SSE/AVX state and FS/GS bases still belong to the thread that
 * stopped: save them into its area, load the next thread's, restore the three registers used
 * here and jump to where the thread continues. No flags are changed, the stack is not touched. */
  .org S_SWITCH
thread_switch:
  mov DATA(D_XCR0), %eax
  mov $0, %edx
  mov DATA(D_SW_OLD), %rcx
  xsave (%rcx)
  rdfsbase %rdx
  mov %rdx, SW_AREA_FS(%rcx)
  rdgsbase %rdx
  mov %rdx, SW_AREA_GS(%rcx)
  mov $0, %edx
  mov DATA(D_SW_NEW), %rcx
  xrstor (%rcx)
  mov DATA(D_SW_FS), %rax
  wrfsbase %rax
  mov DATA(D_SW_GS), %rax
  wrgsbase %rax
  mov DATA(D_SW_RAX), %rax
  mov DATA(D_SW_RCX), %rcx
  mov DATA(D_SW_RDX), %rdx
  jmp *DATA(D_SW_RIP)

/* Connection fast paths that do not fit after S_NETPATH (see there) */
#define SCR(off) (L_SCRATCH + (off))
/* getsockname/getpeername(conn, addr, addrlen): the cached local/peer address, truncated to
 * *addrlen, and the real length written back, as the kernel does */
.macro NAME_CALL nr, lenoff, dataoff
  cmpq $1, SCR(SC_PREACC)
  je 69f
  mov DATA(D_NAME_FD1), %rax
  test %rax, %rax
  jz 69f
  dec %rax
  cmp %rax, %rdi
  jne 69f
  cmp $L_USER, %rdx
  jb 69f
  cmp $L_USER, %rsi
  jb 69f
  mov DATA(D_MEM_END), %rax
  sub $4, %rax
  cmp %rax, %rdx
  ja 69f
  mov %rcx, SCR(SC_NET_SAVE)
  movl (%rdx), %ecx
  test %ecx, %ecx
  js 68f                      /* negative length: EINVAL from the host */
  mov DATA(\lenoff), %rax
  cmp %rax, %rcx
  jbe 61f
  mov %rax, %rcx
61:
  mov DATA(D_MEM_END), %rax
  sub %rcx, %rax
  cmp %rax, %rsi
  ja 68f
  mov %rdi, SCR(SC_NET_SAVE + 8)
  mov %rsi, SCR(SC_NET_SAVE + 16)
  mov %rsi, %rdi
  mov $(L_DATA + \dataoff), %esi
  rep movsb
  mov DATA(\lenoff), %eax
  mov %eax, (%rdx)
  xor %eax, %eax
  mov SCR(SC_NET_SAVE + 16), %rsi
  mov SCR(SC_NET_SAVE + 8), %rdi
  mov SCR(SC_NET_SAVE), %rcx
  jmp net_ret
68:
  mov SCR(SC_NET_SAVE), %rcx
69:
  mov $\nr, %eax
  jmp net_exit
.endm
net_getpeername:
  NAME_CALL 52, D_PEER_LEN, D_PEER

/* setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, optval, optlen 4..256): recorded in SC_NODELAY (1 on,
 * 2 off); the host sets the option (flag and host socket) at the next exit before any byte the
 * guest buffered goes out, so nothing on the wire sees the difference */
net_setsockopt:
  cmp $6, %esi                /* IPPROTO_TCP (the host compares the int) */
  jne 99f
  cmp $1, %edx                /* TCP_NODELAY */
  jne 99f
  cmp $4, %r8
  jb 99f
  cmp $256, %r8
  ja 99f
  cmpq $1, SCR(SC_PREACC)
  je 99f
  mov DATA(D_NAME_FD1), %rax
  test %rax, %rax
  jz 99f
  dec %rax
  cmp %rax, %rdi
  jne 99f
  cmp $L_USER, %r10
  jb 99f
  mov DATA(D_MEM_END), %rax
  sub $4, %rax
  cmp %rax, %r10
  ja 99f
  cmpl $0, (%r10)
  movq $1, SCR(SC_NODELAY)
  jne 91f
  movq $2, SCR(SC_NODELAY)
91:
  xor %eax, %eax
  jmp net_ret
99:
  mov $54, %eax
  jmp net_exit

net_getsockname:
  NAME_CALL 51, D_NAME_LEN, D_NAME

/* Exception vectors 0..31: report the vector on the fault port. The host never resumes them. */
  .org S_VECTORS
.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .balign 16
  mov $\vec, %al
  out %al, $PORT_FAULT
1: jmp 1b
.endr


/* Connection fast paths (see D_RECV_FD1 in layout.h), shared by both entries: they return through
 * net_ret, which picks the return the entry would have used, and fall back to one exit through
 * net_exit (rax = the call number). Only host-written data-page fields are trusted for bounds;
 * the guest-writable scratch fields are checked before use. */
  .org S_NETPATH
net_ret:
  cmpb $0, DATA(D_RING0)
  jne ret_r0
  jmp *%rcx
net_exit:
  out %al, $PORT_SYSCALL
  jmp net_ret

/* sendto(conn, buf, len, 0|MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0): append to the send buffer */
net_sendto:
  test %r8, %r8
  jnz 49f
  test $~0x4040, %r10
  jnz 49f
  cmpq $0, SCR(SC_SHUT_WR)    /* shut down for writing: the host answers (EPIPE) */
  jne 49f
  cmpq $1, SCR(SC_PREACC)     /* connection installed but not accepted yet */
  je 49f
  mov DATA(D_CONN_FD1), %rax
  test %rax, %rax
  jz 49f
  dec %rax
  cmp %rax, %rdi
  jne 49f
  test %rdx, %rdx
  jz 49f
  cmp $SC_SEND_CAP, %rdx
  ja 49f
  cmp $L_USER, %rsi
  jb 49f
  mov DATA(D_MEM_END), %rax
  sub %rdx, %rax
  cmp %rax, %rsi
  ja 49f
  mov SCR(SC_SEND_LEN), %rax
  cmp $SC_SEND_CAP, %rax
  ja 49f
  add %rdx, %rax
  cmp $SC_SEND_CAP, %rax
  ja 49f
  mov %rdi, SCR(16)
  mov %rsi, SCR(24)
  mov %rcx, SCR(32)
  mov SCR(SC_SEND_LEN), %rdi
  add $(L_SCRATCH + SC_SEND_DATA), %rdi
  mov %rdx, %rcx
  rep movsb
  mov %rax, SCR(SC_SEND_LEN)
  mov SCR(32), %rcx
  mov SCR(24), %rsi
  mov SCR(16), %rdi
  mov %rdx, %rax
  jmp net_ret
49:
  mov $44, %eax
  jmp net_exit

/* recvfrom(conn, buf, len, 0|MSG_DONTWAIT, NULL, _) while prefetched bytes are left: copy
 * min(len, left) from the data page; a partial read is what the kernel would return too */
net_recvfrom:
  test %r8, %r8
  jnz 59f
  cmpq $1, SCR(SC_PREACC)
  je 59f
  test $~0x40, %r10
  jnz 59f
  mov DATA(D_RECV_FD1), %rax
  test %rax, %rax
  jz 59f
  dec %rax
  cmp %rax, %rdi
  jne 59f
  test %rdx, %rdx
  jz 59f
  mov SCR(SC_PRE_OFF), %rax
  cmp DATA(D_PRE_LEN), %rax   /* unsigned: a corrupted offset only sends the call to the host */
  jae 59f
  mov %rcx, SCR(SC_NET_SAVE)
  mov DATA(D_PRE_LEN), %rcx
  sub %rax, %rcx
  cmp %rdx, %rcx
  jbe 51f
  mov %rdx, %rcx
51:
  cmp $L_USER, %rsi
  jb 58f
  mov %rdi, SCR(SC_NET_SAVE + 8)
  mov DATA(D_MEM_END), %rdi
  sub %rcx, %rdi
  cmp %rdi, %rsi
  ja 57f
  mov %rsi, SCR(SC_NET_SAVE + 16)
  mov %rcx, SCR(SC_NET_SAVE + 24)
  mov %rsi, %rdi
  lea L_DATA + D_PRE_DATA(%rax), %rsi
  add %rcx, %rax
  mov %rax, SCR(SC_PRE_OFF)
  rep movsb
  mov SCR(SC_NET_SAVE + 24), %rax
  mov SCR(SC_NET_SAVE + 16), %rsi
  mov SCR(SC_NET_SAVE + 8), %rdi
  mov SCR(SC_NET_SAVE), %rcx
  jmp net_ret
57:
  mov SCR(SC_NET_SAVE + 8), %rdi
58:
  mov SCR(SC_NET_SAVE), %rcx
59:
  mov $45, %eax
  jmp net_exit

/* shutdown(conn, SHUT_WR): recorded on the scratch page; the host applies it (flush, then FIN)
 * at the guest's next exit, before that exit's call, or when the run stops. Every blocking call
 * is an exit, so the peer can never wait on a FIN the guest already asked for. */
net_shutdown:
  cmp $1, %esi
  jne 79f
  cmpq $1, SCR(SC_PREACC)
  je 79f
  mov DATA(D_CONN_FD1), %rax
  test %rax, %rax
  jz 79f
  dec %rax
  cmp %rax, %rdi
  jne 79f
  movq $1, SCR(SC_SHUT_WR)
  xor %eax, %eax
  jmp net_ret
79:
  mov $48, %eax
  jmp net_exit

/* accept4(listener, addr, lenp, flags) / accept(listener, addr, lenp) of the connection the host
 * installed when it resumed the worker (D_ACC_GFD): only with exactly the flags it was installed
 * with; the peer address is written as the host would (both pointers non-NULL, truncated to
 * *lenp, real length back). Anything else exits, and the host uninstalls it before that call. */
net_accept4:
  mov DATA(D_ACC_FLAGS), %rax
  cmp %eax, %r10d
  jne 88f
  movq $288, SCR(SC_NET_SAVE + 24)
  jmp 80f
net_accept:
  cmpq $0, DATA(D_ACC_FLAGS)
  jne 89f
  movq $43, SCR(SC_NET_SAVE + 24)
80:
  cmpq $1, SCR(SC_PREACC)
  jne 87f
  mov DATA(D_ACC_LFD1), %rax
  test %rax, %rax
  jz 87f
  dec %rax
  cmp %rax, %rdi
  jne 87f
  test %rsi, %rsi
  jz 85f
  test %rdx, %rdx
  jz 85f
  cmp $L_USER, %rdx
  jb 87f
  cmp $L_USER, %rsi
  jb 87f
  mov DATA(D_MEM_END), %rax
  sub $4, %rax
  cmp %rax, %rdx
  ja 87f
  mov %rcx, SCR(SC_NET_SAVE)
  movl (%rdx), %ecx
  test %ecx, %ecx
  js 86f
  mov DATA(D_PEER_LEN), %rax
  cmp %rax, %rcx
  jbe 81f
  mov %rax, %rcx
81:
  mov DATA(D_MEM_END), %rax
  sub %rcx, %rax
  cmp %rax, %rsi
  ja 86f
  mov %rdi, SCR(SC_NET_SAVE + 8)
  mov %rsi, SCR(SC_NET_SAVE + 16)
  mov %rsi, %rdi
  mov $(L_DATA + D_PEER), %esi
  rep movsb
  mov DATA(D_PEER_LEN), %eax
  mov %eax, (%rdx)
  mov SCR(SC_NET_SAVE + 16), %rsi
  mov SCR(SC_NET_SAVE + 8), %rdi
  mov SCR(SC_NET_SAVE), %rcx
85:
  movq $2, SCR(SC_PREACC)
  mov DATA(D_ACC_GFD), %rax
  jmp net_ret
86:
  mov SCR(SC_NET_SAVE), %rcx
87:
  mov SCR(SC_NET_SAVE + 24), %rax
  cmp $43, %rax
  je 89f
88: /* a further accept on a non-blocking listener with nothing pending (D_AGAIN_LFD1): EAGAIN */
  test $~0x80800, %r10        /* SOCK_NONBLOCK|SOCK_CLOEXEC: other flags get EINVAL from the host */
  jnz 83f
  mov DATA(D_AGAIN_LFD1), %rax
  test %rax, %rax
  jz 83f
  dec %rax
  cmp %rax, %rdi
  jne 83f
  cmpq $1, SCR(SC_PREACC)
  je 83f
  mov $-11, %rax
  jmp net_ret
83:
  mov $288, %eax
  jmp net_exit
89:
  mov DATA(D_AGAIN_LFD1), %rax
  test %rax, %rax
  jz 84f
  dec %rax
  cmp %rax, %rdi
  jne 84f
  cmpq $1, SCR(SC_PREACC)
  je 84f
  mov $-11, %rax
  jmp net_ret
84:
  mov $43, %eax
  jmp net_exit

/* epoll_ctl(D_EP_FD1 - 1, ADD|DEL, conn, ev): ADD when the connection is not in the set (ev is
 * copied: events, data), DEL when it is; one op is recorded (SC_EPOP) and the host applies it at
 * the next exit, before that exit's call. Every other case (EEXIST, ENOENT, MOD...) exits. */
net_epoll_ctl:
  cmpq $0, SCR(SC_EPOP)
  jne 109f
  cmpq $1, SCR(SC_PREACC)
  je 109f
  mov DATA(D_EP_FD1), %rax
  test %rax, %rax
  jz 109f
  dec %rax
  cmp %rax, %rdi
  jne 109f
  mov DATA(D_NAME_FD1), %rax
  test %rax, %rax
  jz 109f
  dec %rax
  cmp %rax, %rdx
  jne 109f
  cmp $2, %esi                /* EPOLL_CTL_DEL */
  je 102f
  cmp $1, %esi                /* EPOLL_CTL_ADD */
  jne 109f
  cmpq $0, DATA(D_EP_IN)
  jne 109f
  cmp $L_USER, %r10
  jb 109f
  mov DATA(D_MEM_END), %rax
  sub $12, %rax
  cmp %rax, %r10
  ja 109f
  movl (%r10), %eax
  mov %rax, SCR(SC_EPEV)
  mov 4(%r10), %rax
  mov %rax, SCR(SC_EPDATA)
  movq $1, SCR(SC_EPOP)
  xor %eax, %eax
  jmp net_ret
102:
  cmpq $1, DATA(D_EP_IN)
  jne 109f
  movq $2, SCR(SC_EPOP)
  xor %eax, %eax
  jmp net_ret
109:
  mov $233, %eax
  jmp net_exit

  .balign 16
ib_stub_end:
  .section .note.GNU-stack,"",@progbits
