#include "elf_load.h"
#include "gmem.h"
#include "elf_interp.h"
#include "policy.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cpuid.h>

#define PAGE_DOWN(x) ((x) & ~(GPAGE - 1))
#define PAGE_UP(x) (((x) + GPAGE - 1) & ~(GPAGE - 1))
#define STACK_MAX (8ULL << 20)
#define PIE_BASE 0x400000ULL

int elf_fail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return -1;
}

int elf_parse(const uint8_t *d, size_t size, struct elf_image *img, char *err, size_t cap) {
  memset(img, 0, sizeof(*img));
  if (size < sizeof(Elf64_Ehdr)) return elf_fail(err, cap, "not an ELF file: %zu bytes is shorter than an ELF header", size);
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) return elf_fail(err, cap, "not an ELF file: bad magic");
  if (eh->e_ident[EI_CLASS] != ELFCLASS64) return elf_fail(err, cap, "unsupported ELF: not 64-bit (class %u)", eh->e_ident[EI_CLASS]);
  if (eh->e_ident[EI_DATA] != ELFDATA2LSB) return elf_fail(err, cap, "unsupported ELF: not little-endian");
  if (eh->e_machine != EM_X86_64) return elf_fail(err, cap, "unsupported ELF: machine %u is not x86-64", eh->e_machine);
  if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) return elf_fail(err, cap, "unsupported ELF: type %u is not an executable", eh->e_type);
  if (eh->e_phentsize != sizeof(Elf64_Phdr)) return elf_fail(err, cap, "malformed ELF: program header size %u", eh->e_phentsize);
  if (eh->e_phnum == 0 || eh->e_phnum > 128) return elf_fail(err, cap, "malformed ELF: %u program headers", eh->e_phnum);
  if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
    return elf_fail(err, cap, "malformed ELF: program headers outside the file");
  if (eh->e_phoff % 8) return elf_fail(err, cap, "malformed ELF: misaligned program headers");
  const Elf64_Phdr *ph = (const Elf64_Phdr *)(d + eh->e_phoff);
  img->data = d;
  img->size = size;
  img->eh = eh;
  img->ph = ph;
  img->is_dyn = eh->e_type == ET_DYN;
  img->max_align = GPAGE;
  uint64_t prev_end = 0;
  int nload = 0, entry_ok = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    const Elf64_Phdr *p = &ph[i];
    if (p->p_type == PT_INTERP) {
      if (p->p_offset > size || p->p_filesz > size - p->p_offset || p->p_filesz < 2 ||
          d[p->p_offset + p->p_filesz - 1] != 0)
        return elf_fail(err, cap, "malformed ELF: bad PT_INTERP");
      img->interp = (const char *)d + p->p_offset;
    }
    if (p->p_type == PT_PHDR) img->phdr_vaddr = p->p_vaddr;
    if (p->p_type != PT_LOAD) continue;
    if (p->p_filesz > p->p_memsz) return elf_fail(err, cap, "malformed ELF: segment %d file size exceeds its memory size", i);
    if (p->p_offset > size || p->p_filesz > size - p->p_offset)
      return elf_fail(err, cap, "malformed ELF: segment %d lies outside the file", i);
    if (p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > (1ULL << 46))
      return elf_fail(err, cap, "malformed ELF: segment %d address range overflows", i);
    if (p->p_align > 1 && (p->p_align & (p->p_align - 1))) return elf_fail(err, cap, "malformed ELF: segment %d alignment is not a power of two", i);
    if ((p->p_vaddr % GPAGE) != (p->p_offset % GPAGE)) return elf_fail(err, cap, "malformed ELF: segment %d offset and address disagree modulo the page size", i);
    if (p->p_memsz == 0) continue;
    if (nload && PAGE_DOWN(p->p_vaddr) < prev_end) return elf_fail(err, cap, "malformed ELF: segment %d overlaps or precedes the previous one", i);
    if (!nload) img->lo = PAGE_DOWN(p->p_vaddr);
    prev_end = PAGE_UP(p->p_vaddr + p->p_memsz);
    img->hi = prev_end;
    if (p->p_align > img->max_align) img->max_align = p->p_align;
    if (eh->e_entry >= p->p_vaddr && eh->e_entry < p->p_vaddr + p->p_memsz && (p->p_flags & PF_X)) entry_ok = 1;
    if (!img->phdr_vaddr && p->p_offset <= eh->e_phoff && eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) <= p->p_offset + p->p_filesz)
      img->phdr_vaddr = p->p_vaddr + (eh->e_phoff - p->p_offset);
    nload++;
  }
  if (!nload) return elf_fail(err, cap, "malformed ELF: no loadable segments");
  if (!entry_ok) return elf_fail(err, cap, "malformed ELF: entry point 0x%llx is not in an executable segment", (unsigned long long)eh->e_entry);
  if (img->max_align > HUGE2M) img->max_align = HUGE2M;
  return 0;
}

int elf_map(struct vm *vm, const struct elf_image *img, uint64_t base, char *err, size_t cap) {
  if (!gm_valid(vm, img->lo + base, img->hi - img->lo))
    return elf_fail(err, cap, "ELF does not fit guest memory: [0x%llx, 0x%llx) outside [0x%llx, 0x%llx)",
                (unsigned long long)(img->lo + base), (unsigned long long)(img->hi + base),
                (unsigned long long)L_USER, (unsigned long long)vm->mem_size);
  for (int i = 0; i < img->eh->e_phnum; i++) {
    const Elf64_Phdr *p = &img->ph[i];
    if (p->p_type != PT_LOAD || p->p_memsz == 0) continue;
    gm_write(vm, base + p->p_vaddr, img->data + p->p_offset, p->p_filesz);
    gm_zero(vm, base + p->p_vaddr + p->p_filesz, p->p_memsz - p->p_filesz);
  }
  return 0;
}

/* Builds the initial stack at the top of guest memory: argc, argv, envp, auxv, strings. */
static int build_stack(struct vm *vm, const struct elf_image *img, uint64_t base, uint64_t at_base, const char *execfn,
                       const char *const *argv, const char *const *envp, uint64_t *sp_out, char *err, size_t cap) {
  struct guest_proc *p = &vm->proc;
  uint64_t sp = p->stack_hi;
  int argc = 0, envc = 0;
  while (argv && argv[argc]) argc++;
  while (envp && envp[envc]) envc++;
  if (argc + envc > 4096) return elf_fail(err, cap, "too many arguments");
  uint64_t *argv_g = calloc(argc + 1, 8), *envp_g = calloc(envc + 1, 8);
#define PUSH_STR(s, out)                                              \
  do {                                                                \
    size_t n_ = strlen(s) + 1;                                        \
    if (sp - p->stack_lo < n_ + 4096) goto toolarge;                  \
    sp -= n_;                                                         \
    gm_write(vm, sp, s, n_);                                          \
    out = sp;                                                         \
  } while (0)
  uint64_t execfn_g, platform_g;
  PUSH_STR(execfn, execfn_g);
  for (int i = envc - 1; i >= 0; i--) PUSH_STR(envp[i], envp_g[i]);
  for (int i = argc - 1; i >= 0; i--) PUSH_STR(argv[i], argv_g[i]);
  PUSH_STR("x86_64", platform_g);
  sp &= ~15ULL;
  sp -= 16;
  uint8_t rnd[16];
  if (getrandom(rnd, 16, 0) != 16) memset(rnd, 0x5a, 16);
  gm_write(vm, sp, rnd, 16);
  p->at_random = sp;
  unsigned eax, ebx, ecx, edx = 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  uint64_t aux[][2] = {
      {AT_PHDR, img->phdr_vaddr ? base + img->phdr_vaddr : 0},
      {AT_PHENT, sizeof(Elf64_Phdr)},
      {AT_PHNUM, img->eh->e_phnum},
      {AT_PAGESZ, GPAGE},
      {AT_BASE, at_base},
      {AT_FLAGS, 0},
      {AT_ENTRY, base + img->eh->e_entry},
      {AT_UID, 1000}, {AT_EUID, 1000}, {AT_GID, 1000}, {AT_EGID, 1000},
      {AT_SECURE, 0},
      {AT_RANDOM, p->at_random},
      {AT_HWCAP, edx},
      {AT_HWCAP2, 0},
      {AT_CLKTCK, 100},
      {AT_PLATFORM, platform_g},
      {AT_EXECFN, execfn_g},
      {AT_NULL, 0},
  };
  size_t naux = sizeof(aux) / sizeof(aux[0]);
  uint64_t words = 1 + (argc + 1) + (envc + 1) + naux * 2;
  sp -= words * 8;
  sp &= ~15ULL;
  if (sp < p->stack_lo + 4096) goto toolarge;
  uint64_t w = sp, v = argc;
  gm_write(vm, w, &v, 8), w += 8;
  for (int i = 0; i <= argc; i++) gm_write(vm, w, &argv_g[i], 8), w += 8;
  for (int i = 0; i <= envc; i++) gm_write(vm, w, &envp_g[i], 8), w += 8;
  gm_write(vm, w, aux, naux * 16);
  free(argv_g);
  free(envp_g);
  *sp_out = sp;
  return 0;
toolarge:
  free(argv_g);
  free(envp_g);
  return elf_fail(err, cap, "arguments and environment do not fit the stack");
#undef PUSH_STR
}

int elf_load_program(struct vm *vm, const char *path, const char *const *argv, const char *const *envp,
                     uint64_t *entry, uint64_t *sp) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { ib_set_error("cannot open ELF %s: %s", path, strerror(errno)); return -1; }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { close(fd); ib_set_error("%s: not a regular file", path); return -1; }
  size_t size = (size_t)st.st_size;
  uint8_t *data = malloc(size ? size : 1);
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, data + got, size - got);
    if (n <= 0) break;
    got += n;
  }
  close(fd);
  if (got != size) { free(data); ib_set_error("%s: short read", path); return -1; }
  int rc = elf_load_image(vm, path, data, size, NULL, 0, argv, envp, entry, sp);
  free(data);
  return rc;
}

int elf_load_image(struct vm *vm, const char *path, const uint8_t *data, size_t size, const uint8_t *interp_data,
                   size_t interp_size, const char *const *argv, const char *const *envp, uint64_t *entry, uint64_t *sp) {
  char err[256];
  struct elf_image img;
  if (elf_parse(data, size, &img, err, sizeof(err)) < 0) { ib_set_error("%s: %s", path, err); return -1; }
  elf_note_loaded(path, img.interp);
  uint64_t base = 0;
  if (img.is_dyn) base = (PIE_BASE + img.max_align - 1) & ~(img.max_align - 1);
  struct guest_proc *p = &vm->proc;
  uint64_t stack_size = vm->mem_size / 8 < STACK_MAX ? vm->mem_size / 8 : STACK_MAX;
  p->stack_hi = vm->mem_size;
  p->stack_lo = vm->mem_size - stack_size;
  if (img.lo + base < L_USER || img.hi + base > p->stack_lo) {
    ib_set_error("%s: ELF does not fit guest memory: [0x%llx, 0x%llx) outside [0x%llx, 0x%llx)", path,
                 (unsigned long long)(img.lo + base), (unsigned long long)(img.hi + base),
                 (unsigned long long)L_USER, (unsigned long long)p->stack_lo);
    return -1;
  }
  if (elf_map(vm, &img, base, err, sizeof(err)) < 0) { ib_set_error("%s: %s", path, err); return -1; }
  p->brk_start = p->brk_cur = img.hi + base;
  uint64_t room = p->stack_lo - p->brk_start;
  p->brk_max = PAGE_UP(p->brk_start + room / 4);
  p->mmap_lo = p->brk_max;
  p->mmap_hi = p->stack_lo;
  alloc_init(&p->amap);
  uint64_t interp_base = 0, interp_entry = 0;
  int irc = 0;
  if (img.interp && interp_data)
    irc = elf_interp_map(vm, img.interp, interp_data, interp_size, &interp_base, &interp_entry, err, sizeof(err));
  else if (img.interp)
    irc = elf_interp_load(vm, img.interp, &interp_base, &interp_entry, err, sizeof(err));
  if (irc < 0) {
    ib_set_error("%s: %s", path, err);
    return -1;
  }
  int rc = build_stack(vm, &img, base, interp_base, path, argv, envp, sp, err, sizeof(err));
  *entry = img.interp ? interp_entry : base + img.eh->e_entry;
  if (rc < 0) { ib_set_error("%s: %s", path, err); return -1; }
  return 0;
}
