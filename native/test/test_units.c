/* Engine internals without KVM: ELF validation, the allocator, guest-memory bounds, dispatch. */
#include "test.h"
#include "alloc.h"
#include "elf_load.h"
#include "gmem.h"
#include "syscall.h"
#include "isobench.h"
#include <errno.h>
#include <stdlib.h>

/* a minimal valid static ELF: one RX PT_LOAD at 0x400000 holding the headers and entry */
static size_t make_elf(uint8_t *buf, size_t cap) {
  memset(buf, 0, cap);
  Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
  memcpy(eh->e_ident, ELFMAG, SELFMAG);
  eh->e_ident[EI_CLASS] = ELFCLASS64;
  eh->e_ident[EI_DATA] = ELFDATA2LSB;
  eh->e_ident[EI_VERSION] = EV_CURRENT;
  eh->e_type = ET_EXEC;
  eh->e_machine = EM_X86_64;
  eh->e_version = EV_CURRENT;
  eh->e_entry = 0x400100;
  eh->e_phoff = sizeof(Elf64_Ehdr);
  eh->e_ehsize = sizeof(Elf64_Ehdr);
  eh->e_phentsize = sizeof(Elf64_Phdr);
  eh->e_phnum = 1;
  Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff);
  ph->p_type = PT_LOAD;
  ph->p_flags = PF_R | PF_X;
  ph->p_offset = 0;
  ph->p_vaddr = 0x400000;
  ph->p_filesz = 0x200;
  ph->p_memsz = 0x1000;
  ph->p_align = 0x1000;
  return 0x200;
}

static const char *parse_err(uint8_t *buf, size_t n) {
  static char err[256];
  struct elf_image img;
  err[0] = 0;
  if (elf_parse(buf, n, &img, err, sizeof(err)) == 0) return NULL;
  return err;
}

TEST(elf_valid_minimal_is_accepted) {
  uint8_t buf[0x200];
  size_t n = make_elf(buf, sizeof(buf));
  const char *e = parse_err(buf, n);
  CHECK(!e, "rejected: %s", e);
}

TEST(elf_rejection_cases) {
  uint8_t buf[0x200];
  struct { const char *what, *expect; void (*mutate)(uint8_t *); size_t len; } cases[] = {
      {"short", "shorter than an ELF header", NULL, 10},
      {"magic", "bad magic", NULL, 0},
      {"class", "not 64-bit", NULL, 0},
      {"machine", "not x86-64", NULL, 0},
      {"type", "not an executable", NULL, 0},
      {"phdrs outside", "program headers outside the file", NULL, 0},
      {"segment outside file", "outside the file", NULL, 0},
      {"filesz > memsz", "file size exceeds", NULL, 0},
      {"overlap", "overlaps", NULL, 0},
      {"entry", "entry point", NULL, 0},
      {"no load", "no loadable segments", NULL, 0},
      {"bad interp", "bad PT_INTERP", NULL, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    size_t n = make_elf(buf, sizeof(buf));
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff);
    switch (i) {
    case 0: n = cases[i].len; break;
    case 1: buf[1] = 'X'; break;
    case 2: eh->e_ident[EI_CLASS] = ELFCLASS32; break;
    case 3: eh->e_machine = EM_AARCH64; break;
    case 4: eh->e_type = ET_REL; break;
    case 5: eh->e_phoff = 0x1f0; break;
    case 6: ph->p_filesz = 0x10000; ph->p_memsz = 0x10000; break;
    case 7: ph->p_filesz = 0x200; ph->p_memsz = 0x100; break;
    case 8: /* second segment starting inside the first */
      eh->e_phnum = 2;
      ph[1] = ph[0];
      ph[1].p_vaddr = 0x400000;
      break;
    case 9: eh->e_entry = 0x900000; break;
    case 10: ph->p_type = PT_NOTE; break;
    case 11: ph[1] = ph[0]; eh->e_phnum = 2; ph[1].p_type = PT_INTERP; ph[1].p_offset = 0x180; ph[1].p_filesz = 4; memset(buf + 0x180, 'x', 4); break;
    }
    const char *e = parse_err(buf, n);
    CHECK(e, "case '%s' accepted", cases[i].what);
    CHECK(strstr(e, cases[i].expect), "case '%s': error '%s' lacks '%s'", cases[i].what, e, cases[i].expect);
  }
}

TEST(alloc_top_down_merge_split) {
  struct alloc_map *m = malloc(sizeof(*m));
  alloc_init(m);
  uint64_t lo = 0x100000, hi = 0x200000;
  uint64_t a = alloc_find(m, lo, hi, 0x1000);
  CHECK_EQ(a, 0x1ff000);
  CHECK_EQ(alloc_insert(m, a, 0x1000), 0);
  uint64_t b = alloc_find(m, lo, hi, 0x2000);
  CHECK_EQ(b, 0x1fd000);
  CHECK_EQ(alloc_insert(m, b, 0x2000), 0);
  CHECK_EQ(m->n, 1); /* merged */
  CHECK_EQ(m->bytes, 0x3000);
  CHECK(alloc_insert(m, 0x1fe000, 0x1000) < 0, "overlapping insert accepted");
  CHECK_EQ(alloc_remove(m, 0x1fe000, 0x1000), 0); /* split the middle */
  CHECK_EQ(m->n, 2);
  CHECK_EQ(m->bytes, 0x2000);
  CHECK_EQ(alloc_find(m, lo, hi, 0x1000), 0x1fe000); /* the hole is reused */
  CHECK_EQ(alloc_find(m, lo, hi, 0x100000), 0);      /* too big */
  CHECK(!alloc_overlaps(m, 0x1fe000, 0x1000), "hole reported allocated");
  CHECK(alloc_overlaps(m, 0x1fd000, 0x10), "allocated reported free");
  CHECK_EQ(alloc_remove(m, 0, 0x300000), 0);
  CHECK_EQ(m->n, 0);
  CHECK_EQ(m->bytes, 0);
  free(m);
}

static struct vm *fake_vm(uint64_t size) {
  struct vm *vm = calloc(1, sizeof(*vm));
  vm->mem_size = size;
  vm->mem = calloc(1, size);
  vm->npages = size / GPAGE;
  vm->bitmap_words = (vm->npages + 63) / 64;
  vm->host_dirty = calloc(vm->bitmap_words, 8);
  vm->is_worker = 1;
  return vm;
}
static void free_vm(struct vm *vm) {
  sys_hooks_destroy(vm); /* families may have attached state (vm->ext) */
  for (int i = 0; i < 3; i++) free(vm->out[i].buf);
  free(vm->mem);
  free(vm->host_dirty);
  free(vm);
}

TEST(guest_memory_accessor_bounds) {
  uint64_t size = 4 << 20;
  struct vm *vm = fake_vm(size);
  char b[16] = "abc";
  CHECK_EQ(gm_write(vm, L_USER, b, 4), 0);
  CHECK(vm->host_dirty[(L_USER / GPAGE) / 64] & (1ULL << ((L_USER / GPAGE) % 64)), "host write not marked dirty");
  CHECK_EQ(gm_write(vm, L_USER - 1, b, 4), -EFAULT);     /* below the user range */
  CHECK_EQ(gm_write(vm, L_STUB, b, 4), -EFAULT);         /* the stub page */
  CHECK_EQ(gm_write(vm, 0, b, 1), -EFAULT);
  CHECK_EQ(gm_write(vm, size - 2, b, 4), -EFAULT);       /* crosses the end */
  CHECK_EQ(gm_write(vm, size - 4, b, 4), 0);             /* ends exactly at the end */
  CHECK_EQ(gm_read(vm, ~0ULL - 2, b, 8), -EFAULT);       /* wraps around */
  CHECK(!gm_read_ptr(vm, L_USER, ~0ULL), "huge length accepted");
  char s[8];
  CHECK_EQ(gm_read_str(vm, L_USER, s, sizeof(s)), 3);
  CHECK(strcmp(s, "abc") == 0, "read '%s'", s);
  memset(vm->mem + L_USER, 'x', 64);
  CHECK_EQ(gm_read_str(vm, L_USER, s, sizeof(s)), -ENAMETOOLONG);
  memset(vm->mem + size - 4, 'y', 4);
  CHECK_EQ(gm_read_str(vm, size - 4, s, sizeof(s)), -EFAULT); /* no NUL before the end */
  free_vm(vm);
}

TEST(dispatcher_unknown_is_enosys_and_counted) {
  struct vm *vm = fake_vm(4 << 20);
  const uint64_t a[6] = {0};
  CHECK_EQ(sys_dispatch(vm, 400, a), -ENOSYS);
  CHECK_EQ(vm->ctr.enosys[400], 1);
  CHECK_EQ(sys_dispatch(vm, 100000, a), -ENOSYS);
  CHECK_EQ(vm->ctr.enosys_other, 1);
  CHECK_EQ(sys_dispatch(vm, 0x10ff, a), -ENOSYS);
  /* a registered one: getuid */
  CHECK_EQ(sys_dispatch(vm, 102, a), 1000);
  CHECK_EQ(vm->ctr.syscalls[102], 1);
  CHECK(strcmp(sys_name(1), "write") == 0, "name of 1 is %s", sys_name(1));
  free_vm(vm);
}

TEST(write_to_stdout_is_captured_and_bad_fd_refused) {
  struct vm *vm = fake_vm(4 << 20);
  memcpy(vm->mem + L_USER, "hi!", 3);
  uint64_t a[6] = {1, L_USER, 3, 0, 0, 0};
  CHECK_EQ(sys_dispatch(vm, 1, a), 3);
  CHECK(vm->out[1].len == 3 && memcmp(vm->out[1].buf, "hi!", 3) == 0, "capture wrong");
  a[0] = 7;
  CHECK_EQ(sys_dispatch(vm, 1, a), -EBADF);
  a[0] = 2;
  a[1] = 0x1000; /* supervisor page: not the guest's to hand us */
  CHECK_EQ(sys_dispatch(vm, 1, a), -EFAULT);
  free_vm(vm);
}

/* the registry's start-up rule (src/syscall.c): one owner per number, or a declared chain whose
 * families have distinct priorities (so the order never depends on constructor/link order) */
TEST(syscall_registry_refuses_undeclared_second_registration) {
  const struct sys_chain chains[] = {{44, "sockets", "unix_pairs"}};
  const struct sys_reg ok[] = {{0, "files", 300}, {44, "sockets", 200}, {44, "unix_pairs", 360}, {1, "files", 300}};
  char err[256] = "";
  CHECK_EQ(sys_registry_validate(ok, 4, chains, 1, err, sizeof(err)), 0);
  const struct sys_reg dup[] = {{0, "io", 200}, {0, "files", 300}};
  CHECK_EQ(sys_registry_validate(dup, 2, chains, 1, err, sizeof(err)), -1);
  CHECK(strstr(err, "syscall 0") && strstr(err, "io") && strstr(err, "files"), "message: %s", err);
  const struct sys_reg reversed[] = {{44, "unix_pairs", 360}, {44, "sockets", 200}}; /* constructor order differs */
  CHECK_EQ(sys_registry_validate(reversed, 2, chains, 1, err, sizeof(err)), 0);
  const struct sys_reg wrong_way[] = {{44, "sockets", 370}, {44, "unix_pairs", 360}};
  CHECK_EQ(sys_registry_validate(wrong_way, 2, chains, 1, err, sizeof(err)), -1);
  const struct sys_reg same_prio[] = {{44, "sockets", 300}, {44, "unix_pairs", 300}};
  CHECK_EQ(sys_registry_validate(same_prio, 2, chains, 1, err, sizeof(err)), -1);
  CHECK(strstr(err, "same priority"), "message: %s", err);
  /* and the engine's own registrations pass it */
  CHECK(sys_registry_check() == 0, "engine registry: %s", ib_last_error());
}
