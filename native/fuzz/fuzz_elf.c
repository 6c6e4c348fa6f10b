/* libFuzzer target: the ELF loader (elf_load.c, elf_interp.c) on arbitrary bytes, into a guest
 * memory without a vCPU (src/vm_bare.h). Nothing is read from the host's files: the program and
 * its interpreter both come from the input.
 *
 * Input: u8 what, u32 split (little-endian), bytes.
 *   what & 1 == 0: bytes[0, split) is the program, the rest its interpreter (used when the program
 *                  has a PT_INTERP, whatever path it names)
 *   what & 1 == 1: bytes[split, end) is an interpreter mapped alone (elf_interp_map)
 * Beyond memory errors, a load that succeeds must leave a sane layout (checked below): a loader
 * that places code over the stack or outside guest memory is a sandbox bug even without a crash. */
#include "vm_bare.h"
#include "elf_interp.h"
#include "elf_load.h"
#include "gmem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUEST_MEM (8ULL << 20) /* small: a load zero-fills its bss, every input */

static int g_verbose = -1; /* ISOBENCH_FUZZ_VERBOSE: one line per input, loaded or why refused */

static void must(int ok, const char *what, const struct vm *vm) {
  if (ok) return;
  const struct guest_proc *p = &vm->proc;
  fprintf(stderr, "isobench fuzz: loader invariant broken: %s (brk %#llx..%#llx max %#llx, mmap %#llx..%#llx, stack %#llx..%#llx)\n", what,
          (unsigned long long)p->brk_start, (unsigned long long)p->brk_cur, (unsigned long long)p->brk_max,
          (unsigned long long)p->mmap_lo, (unsigned long long)p->mmap_hi, (unsigned long long)p->stack_lo,
          (unsigned long long)p->stack_hi);
  abort();
}

static void check_layout(const struct vm *vm) {
  const struct guest_proc *p = &vm->proc;
  must(L_USER <= p->brk_start && p->brk_start == p->brk_cur && p->brk_cur <= p->brk_max, "brk region", vm);
  must(p->brk_max <= p->mmap_lo && p->mmap_lo <= p->mmap_hi && p->mmap_hi <= p->stack_lo, "mmap region", vm);
  must(p->stack_lo < p->stack_hi && p->stack_hi == vm->mem_size, "stack region", vm);
}

static void load_program(struct vm *vm, const uint8_t *prog, size_t prog_len, const uint8_t *interp, size_t interp_len) {
  static const char *const argv[] = {"/fuzz/program", "arg", NULL};
  static const char *const envp[] = {"A=1", NULL};
  uint64_t entry = 0, sp = 0;
  if (elf_load_image(vm, "/fuzz/program", prog, prog_len, interp, interp_len, argv, envp, &entry, &sp) < 0) {
    if (g_verbose) fprintf(stderr, "refused: %s\n", ib_last_error());
    return;
  }
  if (g_verbose) fprintf(stderr, "loaded: entry %#llx sp %#llx\n", (unsigned long long)entry, (unsigned long long)sp);
  check_layout(vm);
  const struct guest_proc *p = &vm->proc;
  must(sp >= p->stack_lo && sp < p->stack_hi && sp % 16 == 0, "initial stack pointer", vm);
  must(gm_valid(vm, entry, 1) && entry < p->stack_lo, "entry point", vm);
  uint64_t argc = 0;
  must(gm_read(vm, sp, &argc, 8) == 0 && argc == 2, "argc on the stack", vm);
  must(p->at_random >= p->stack_lo && p->at_random + 16 <= p->stack_hi, "AT_RANDOM", vm);
}

static void load_interp(struct vm *vm, const uint8_t *interp, size_t len) {
  char err[256];
  uint64_t base = 0, entry = 0;
  if (elf_interp_map(vm, "/fuzz/interp", interp, len, &base, &entry, err, sizeof(err)) < 0) {
    if (g_verbose) fprintf(stderr, "refused: %s\n", err);
    must(err[0] != 0, "a refused interpreter has a reason", vm);
    return;
  }
  if (g_verbose) fprintf(stderr, "interpreter mapped at %#llx, entry %#llx\n", (unsigned long long)base, (unsigned long long)entry);
  check_layout(vm);
  struct elf_image img;
  char why[200];
  must(elf_parse(interp, len, &img, why, sizeof(why)) == 0, "mapped interpreter parses", vm);
  const struct guest_proc *p = &vm->proc;
  must(base + img.lo >= p->mmap_lo && base + img.hi <= p->mmap_hi, "interpreter inside the mmap region", vm);
  must(entry >= base + img.lo && entry < base + img.hi, "interpreter entry inside its image", vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g_verbose < 0) g_verbose = getenv("ISOBENCH_FUZZ_VERBOSE") != NULL;
  if (size < 5) return 0;
  uint8_t what = data[0];
  uint32_t split;
  memcpy(&split, data + 1, 4);
  data += 5, size -= 5;
  if (split > size) split = (uint32_t)size;
  ib_master *m = bare_master_create(GUEST_MEM, NULL);
  if (!m) { fprintf(stderr, "isobench fuzz: %s\n", ib_last_error()); abort(); }
  /* program and interpreter in buffers of their exact sizes: ASan sees any read past either */
  uint8_t *prog = malloc(split ? split : 1), *interp = malloc(size - split ? size - split : 1);
  memcpy(prog, data, split);
  memcpy(interp, data + split, size - split);
  if (what & 1) load_interp(&m->vm, interp, size - split);
  else load_program(&m->vm, prog, split, interp, size - split);
  free(prog);
  free(interp);
  bare_master_destroy(m);
  return 0;
}
