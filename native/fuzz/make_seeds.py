#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (native/fuzz/corpus/<target>/), in the input
formats documented at the top of fuzz_syscalls.c and fuzz_elf.c.

    /usr/bin/python3 fuzz/make_seeds.py build/guests     (from native/, after `make guests`)

The syscall seeds are short guest lives, one family each; the ELF seeds are the small test
guests, truncated ones, and hand-made programs with and without an interpreter."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
L_USER = 0x200000

# ---- syscall target ----

AT_FDCWD = -100
O_RDONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_NONBLOCK, O_DIRECTORY, O_CLOEXEC = 0, 2, 0o100, 0o1000, 0o2000, 0o4000, 0o200000, 0o2000000


class Ptr:
    """a guest pointer into the blob (arg mode 2)"""

    def __init__(self, off):
        self.off = off


class Big:
    """v repeated in both halves of the 64-bit argument (arg mode 3)"""

    def __init__(self, v):
        self.v = v


def rec(op, *args):
    args = list(args) + [0] * (6 - len(args))
    modes, vals = 0, []
    for i, a in enumerate(args):
        if isinstance(a, Ptr):
            m, v = 2, a.off
        elif isinstance(a, Big):
            m, v = 3, a.v
        elif a < 0:
            m, v = 1, a & 0xffffffff
        else:
            m, v = 0, a
        modes |= m << (2 * i)
        vals.append(v)
    return struct.pack("<HH6I", op, modes, *vals)


def step(kind, *v):
    v = list(v) + [0] * (6 - len(v))
    return struct.pack("<HH6I", 0x8000 | kind, 0, *v)


FREEZE, END_REQUEST, SCRATCH_STORE, GUEST_STORE, SET_REG, REQUEST = range(6)


class Blob:
    def __init__(self):
        self.b = bytearray(0x1000)

    def put(self, off, data):
        self.b[off:off + len(data)] = data
        return Ptr(off)

    def u64(self, off, *vals):
        return self.put(off, struct.pack("<%dQ" % len(vals), *vals))


def seed(blob, records):
    b = bytes(blob.b).rstrip(b"\0") or b"\0"
    return struct.pack("<H", len(b)) + b + b"".join(records)


def syscall_seeds():
    seeds = {}
    # files below the allowed directory: create, write, read back, list, rename, remove
    bl = Blob()
    f, d, g, dh = bl.put(0, b"f\0"), bl.put(0x10, b"d\0"), bl.put(0x60, b"g\0"), bl.put(0x80, b"d/h\0")
    data = bl.put(0x100, b"hello fuzz data!")
    iov = bl.u64(0x300, L_USER + 0x100, 8, L_USER + 0x108, 8)
    bl.put(0x40, b".\0")
    seeds["files"] = seed(bl, [
        rec(257, AT_FDCWD, f, O_CREAT | O_RDWR | O_CLOEXEC, 0o644),
        rec(1, 3, data, 16),
        rec(8, 3, 0, 0),
        rec(0, 3, Ptr(0x200), 64),
        rec(17, 3, Ptr(0x200), 8, 4),
        rec(18, 3, data, 4, 100),
        rec(20, 3, iov, 2),
        rec(19, 3, iov, 2),
        rec(5, 3, Ptr(0x500)),
        rec(77, 3, 10),
        rec(83, d, 0o755),
        rec(257, AT_FDCWD, dh, O_CREAT | O_RDWR, 0o600),
        rec(257, AT_FDCWD, Ptr(0x40), O_RDONLY | O_DIRECTORY),  # "."
        rec(217, 5, Ptr(0x600), 1024),
        rec(82, f, g),
        rec(262, AT_FDCWD, g, Ptr(0x500), 0),
        rec(332, AT_FDCWD, g, 0, 0x7ff, Ptr(0xa00)),
        rec(32, 3),
        rec(33, 3, 9),
        rec(292, 3, 10, O_CLOEXEC),
        rec(72, 3, 1030, 20),  # F_DUPFD_CLOEXEC
        rec(72, 3, 4, O_APPEND | O_NONBLOCK),  # F_SETFL
        rec(16, 3, 0x541b, Ptr(0x360)),  # FIONREAD
        rec(87, dh),
        rec(84, d),
        rec(263, AT_FDCWD, g, 0),
        rec(3, 3), rec(3, 4), rec(3, 5), rec(3, 9),
        rec(79, Ptr(0x200), 256),
        rec(80, d),
    ])
    # refused paths: escapes by "..", absolute paths outside, symlink/link/chmod refusals
    bl = Blob()
    esc, etc, lnk = bl.put(0x20, b"../../etc/passwd\0"), bl.put(0x40, b"/etc/passwd\0"), bl.put(0x80, b"x\0")
    bl.put(0xa0, b"/\0")
    bl.put(0xc0, b"/proc/self/exe\0")
    bl.put(0xe0, b"/proc/self/fd/0\0")
    seeds["escape"] = seed(bl, [
        rec(257, AT_FDCWD, esc, O_RDONLY),
        rec(2, etc, O_RDONLY),
        rec(4, etc, Ptr(0x500)),
        rec(21, esc, 4),
        rec(88, etc, lnk),
        rec(86, etc, lnk),
        rec(90, lnk, 0o777),
        rec(80, Ptr(0xa0)),
        rec(257, AT_FDCWD, lnk, O_CREAT | O_RDWR, 0o644),
        rec(89, Ptr(0xc0), Ptr(0x200), 256),
        rec(257, AT_FDCWD, Ptr(0xe0), O_RDONLY),
    ])
    # memory: anonymous mmap/munmap/mprotect/mremap/brk/madvise, bad and huge ranges
    bl = Blob()
    seeds["memory"] = seed(bl, [
        rec(9, 0, 0x10000, 3, 0x22, -1, 0),
        rec(9, 0, Big(0x80000000), 3, 0x22, -1, 0),
        rec(9, Ptr(0x100000), 0x2000, 3, 0x32, -1, 0),  # MAP_FIXED
        rec(10, Ptr(0x100000), 0x1000, 1),
        rec(25, Ptr(0x100000), 0x2000, 0x8000, 1),
        rec(28, Ptr(0x100000), 0x1000, 4),
        rec(11, Ptr(0x100000), 0x1000),
        rec(12, 0),
        rec(12, Ptr(0x180000)),
        rec(11, Big(0xffffffff), 0x1000),
        rec(9, 0, 0x1000, 3, 0x02, 3, 0),  # file mapping of a bad fd
    ])
    # sockets: bind the granted address, listen, wait (the master freezes), then a request
    bl = Blob()
    sa = bl.put(0x340, struct.pack("<HH4s8x", 2, 0, bytes([127, 0, 0, 1])))
    one = bl.put(0x360, struct.pack("<i", 1))
    bl.put(0x364, struct.pack("<I", 16))
    bl.put(0x380, struct.pack("<IQ", 1, 7))  # epoll_event EPOLLIN
    req = bl.put(0x800, b"GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n")
    reply = bl.put(0x900, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    bl.u64(0x480, 0, 0, L_USER + 0x300, 1, 0, 0, 0)  # msghdr: one iovec
    bl.u64(0x300, L_USER + 0x200, 64)
    seeds["sockets"] = seed(bl, [
        rec(41, 2, 1 | 0o4000, 0),
        rec(54, 3, 1, 2, one, 4),  # SO_REUSEADDR
        rec(49, 3, sa, 16),
        rec(50, 3, 128),
        rec(51, 3, Ptr(0x3a0), Ptr(0x364)),
        rec(291, O_CLOEXEC),
        rec(233, 4, 1, 3, Ptr(0x380)),
        rec(232, 4, Ptr(0x3c0), 8, -1),  # the master parks here: its freeze point
        step(REQUEST, 0x800, 31),
        rec(288, 3, Ptr(0x3a0), Ptr(0x364), O_NONBLOCK),
        rec(45, 5, Ptr(0x200), 256, 0, 0, 0),
        rec(54, 5, 6, 1, one, 4),  # TCP_NODELAY
        rec(44, 5, reply, 40, 0x4000, 0, 0),
        rec(52, 5, Ptr(0x3a0), Ptr(0x364)),
        rec(48, 5, 1),
        rec(3, 5),
        rec(232, 4, Ptr(0x3c0), 8, -1),  # back to waiting: the request ends
        step(REQUEST, 0x800, 16),
        rec(43, 3, 0, 0),
        rec(47, 5, Ptr(0x480), 0),
        rec(42, 3, sa, 16),  # outbound connect: refused
        rec(53, 1, 1, 0, Ptr(0x460)),
    ])
    # stub fast-path fields on the scratch page, written by the guest between exits
    bl = Blob()
    bl.put(0x340, struct.pack("<HH4s8x", 2, 0, bytes([127, 0, 0, 1])))
    bl.put(0x364, struct.pack("<I", 16))
    seeds["scratch"] = seed(bl, [
        rec(41, 2, 1, 0), rec(49, 3, Ptr(0x340), 16), rec(50, 3, 16),
        rec(43, 3, 0, 0),
        step(REQUEST, 0, 64),
        rec(43, 3, 0, 0),
        step(SCRATCH_STORE, 0x100 // 8, 0x40, 0),   # SC_SEND_LEN
        step(SCRATCH_STORE, 0x40 // 8, 0x1000, 0),  # SC_PRE_OFF past the prefetched bytes
        step(SCRATCH_STORE, 0x48 // 8, 1, 0),       # SC_SHUT_WR
        step(SCRATCH_STORE, 0x70 // 8, 2, 0),       # SC_PREACC taken
        step(SCRATCH_STORE, 0x78 // 8, 1, 0),       # SC_NODELAY
        step(SCRATCH_STORE, 0x80 // 8, 1, 0),       # SC_EPOP ADD
        rec(39),
        step(SCRATCH_STORE, 0x100 // 8, 0xffffffff, 0xffffffff),
        rec(39),
    ])
    # pipes, eventfd, poll/select/epoll, socketpair (unix family)
    bl = Blob()
    bl.put(0x100, b"pipe bytes")
    bl.put(0x400, struct.pack("<ihh", 3, 1, 0) + struct.pack("<ihh", 4, 4, 0))
    bl.u64(0x440, 0, 1000)
    bl.u64(0x450, 1)
    bl.put(0x380, struct.pack("<IQ", 1 | 4, 9))
    bl.put(0xc00, struct.pack("<Q", 0x78))
    seeds["readiness"] = seed(bl, [
        rec(293, Ptr(0x460), O_NONBLOCK),
        rec(1, 4, Ptr(0x100), 10),
        rec(7, Ptr(0x400), 2, 0),
        rec(271, Ptr(0x400), 2, Ptr(0x440), 0, 8),
        rec(0, 3, Ptr(0x200), 64),
        rec(0, 3, Ptr(0x200), 64),  # empty: EAGAIN
        rec(290, 0, O_NONBLOCK),
        rec(1, 5, Ptr(0x450), 8),
        rec(0, 5, Ptr(0x200), 8),
        rec(23, 6, Ptr(0xc00), Ptr(0xc80), 0, Ptr(0x440)),
        rec(291, 0), rec(233, 6, 1, 3, Ptr(0x380)), rec(233, 6, 1, 5, Ptr(0x380)), rec(281, 6, Ptr(0x3c0), 4, 0, 0, 8),
        rec(53, 1, 1, 0, Ptr(0x470)),
        rec(44, 7, Ptr(0x100), 10, 0, 0, 0), rec(45, 8, Ptr(0x200), 10, 0, 0, 0),
        rec(22, Ptr(0x480)),
        rec(0, 9, Ptr(0x200), 1),  # blocking read of an empty pipe: the run is killed
    ])
    # process and time facts
    bl = Blob()
    bl.u64(0x100, 0, 500)
    seeds["process"] = seed(bl, [
        rec(228, 0, Ptr(0x200)), rec(228, 1, Ptr(0x200)), rec(228, 2, Ptr(0x200)), rec(228, 3, Ptr(0x200)),
        rec(228, -6, Ptr(0x200)), rec(228, 11, Ptr(0x200)), rec(229, 7, Ptr(0x200)),
        rec(96, Ptr(0x200), 0), rec(201, Ptr(0x200)), rec(35, Ptr(0x100), 0), rec(230, 1, 0, Ptr(0x100), 0),
        rec(318, Ptr(0x200), 64, 0), rec(63, Ptr(0x200)), rec(302, 0, 7, 0, Ptr(0x200)), rec(99, Ptr(0x200)),
        rec(13, 2, Ptr(0x300), Ptr(0x320), 8), rec(14, 0, Ptr(0x300), Ptr(0x320), 8), rec(131, Ptr(0x300), Ptr(0x340)),
        rec(95, 0o22), rec(98, 0, Ptr(0x200)), rec(204, 0, 128, Ptr(0x200)), rec(203, 0, 128, Ptr(0x200)),
        rec(157, 15, Ptr(0x100)), rec(157, 16, Ptr(0x200)), rec(324, 0, 0), rec(309, Ptr(0x200), Ptr(0x204), 0),
        rec(39), rec(110), rec(102), rec(186), rec(218, Ptr(0xe00)), rec(273, Ptr(0xe00), 24), rec(274, 0, Ptr(0x200), Ptr(0x208)),
        rec(202, Ptr(0xe00), 0x80 | 1, 1), rec(202, Ptr(0xe00), 0x80 | 0, 1, Ptr(0x100)),
        rec(158, 0x1002, Ptr(0x200)), rec(158, 0x1003, Ptr(0x200)),
        rec(56, 0x3d0f00, Ptr(0x8000), Ptr(0x200), Ptr(0x204), 0),  # clone: needs the vCPU's sregs
        rec(200, 1, 0), rec(234, 1, 1, 0), rec(234, 1, 1, 6),  # SIGABRT to itself ends the run
    ])
    # engine hypercalls: ready (the master freezes), next_request / request_done in a worker
    bl = Blob()
    bl.put(0x100, b"response")
    seeds["hypercalls"] = seed(bl, [
        rec(0x1003, 42), rec(0x1000),
        rec(0x1001, Ptr(0x200), 256),
        rec(0x1002, Ptr(0x100), 8),
        rec(0x1001, Ptr(0x200), 256),
        step(REQUEST, 0x100, 8),
        rec(0x1002, Ptr(0x100), Big(0xffffffff)),
        rec(0x10ff), rec(0x1050), rec(511), rec(450),
        step(END_REQUEST, 1),
        rec(60, 3),
    ])
    return seeds


# ---- ELF target ----

def elf(etype, entry, segs, interp=None, phoff=64):
    """segs: (vaddr, flags, file bytes, memsz); the file holds the headers then each segment at an
    offset congruent to its address modulo the page size"""
    phnum = len(segs) + (1 if interp else 0)
    out = bytearray(0x1000)
    hdr_end = phoff + 56 * phnum
    ph = []
    if interp:
        ioff = hdr_end
        out[ioff:ioff + len(interp)] = interp
        ph.append(struct.pack("<IIQQQQQQ", 3, 4, ioff, 0, 0, len(interp), len(interp), 1))
    for vaddr, flags, data, memsz in segs:
        off = (len(out) + 0xfff) // 0x1000 * 0x1000 + vaddr % 0x1000
        out.extend(b"\0" * (off - len(out)))
        out.extend(data)
        ph.append(struct.pack("<IIQQQQQQ", 1, flags, off, vaddr, vaddr, len(data), memsz, 0x1000))
    eh = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9 + struct.pack("<HHIQQQIHHHHHH", etype, 62, 1, entry, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)
    out[0:64] = eh
    out[phoff:phoff + 56 * phnum] = b"".join(ph)
    return bytes(out)


LOOP = b"\xeb\xfe"  # jmp .


def shrink_bss(data, cap=0x4000):
    """the test guests reserve 16 MiB of bss: cap each PT_LOAD's memory size (the fuzz target's
    guest memory is 8 MiB, and zero-filling a large bss on every input would slow it down)"""
    out = bytearray(data)
    phoff, phnum = struct.unpack_from("<Q", out, 32)[0], struct.unpack_from("<H", out, 56)[0]
    for i in range(phnum):
        at = phoff + 56 * i
        ptype, filesz, memsz = struct.unpack_from("<I", out, at)[0], *struct.unpack_from("<QQ", out, at + 32)
        if ptype == 1 and memsz > filesz + cap:
            struct.pack_into("<Q", out, at + 40, filesz + cap)
    return bytes(out)


def elf_input(what, prog, interp=b""):
    return struct.pack("<BI", what, len(prog)) + prog + interp


def elf_seeds(guest_dir):
    seeds = {}
    static = elf(2, 0x400000, [(0x400000, 5, LOOP, 0x1000), (0x401000, 6, b"data", 0x3000)])
    seeds["static"] = elf_input(0, static)
    interp = elf(3, 0x1000, [(0x1000, 5, LOOP, 0x1000)])
    dyn = elf(3, 0x1000, [(0x1000, 5, LOOP, 0x1000)], interp=b"/lib64/ld-linux-x86-64.so.2\0")
    seeds["dynamic+interp"] = elf_input(0, dyn, interp)
    seeds["interp-alone"] = elf_input(1, b"", interp)
    seeds["header-only"] = elf_input(0, static[:64])
    seeds["bss-too-large"] = elf_input(0, elf(2, 0x400000, [(0x400000, 7, LOOP, 0x2000000)]))
    for name in ("reqs", "reqs-pie", "ready_loop"):
        path = os.path.join(guest_dir, name)
        if os.path.exists(path):
            data = shrink_bss(open(path, "rb").read())
            seeds["guest-" + name] = elf_input(0, data)
            seeds["guest-" + name + "-truncated"] = elf_input(0, data[:0x400])
    path = os.path.join(guest_dir, "reqs-pie")
    if os.path.exists(path):
        seeds["guest-reqs-pie-as-interp"] = elf_input(0, dyn, shrink_bss(open(path, "rb").read()))
    path = os.path.join(guest_dir, "glibc_echo")
    if os.path.exists(path):
        seeds["guest-glibc_echo-head"] = elf_input(0, open(path, "rb").read()[:0x1000])
    return seeds


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    guest_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "guests")
    write("syscalls", syscall_seeds())
    write("elf", elf_seeds(guest_dir))
