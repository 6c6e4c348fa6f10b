/* Sandbox file policy: which guest paths may be read or written, and safe resolution of those
 * paths on the host. A guest path is made absolute (cwd or the directory of a guest fd),
 * normalised lexically (".", "..", "//"), matched against the allow-list (longest prefix; a
 * file entry matches only itself), and the remainder is opened with
 * openat2(root_fd, rest, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so neither ".." nor a
 * symlink can leave the allowed root. Nothing outside the list is ever looked up on the host.
 * The policy belongs to the master; workers share it read-only. Counters are per VM. */
#ifndef IB_POLICY_H
#define IB_POLICY_H
#include "engine.h"
#include <limits.h>
#include <sys/stat.h>

#define POLICY_MAX_ROOTS 64
#define POLICY_LOG_MAX 64 /* host paths opened, most recent (tests and --verbose) */

enum policy_refusal { REF_READ = 0, REF_WRITE, REF_STAT, REF_ESCAPE, REF_KIND, REF_N };

struct fs_stats {
  uint64_t host_opens;         /* openat2 calls made on the host for the guest */
  uint64_t refused[REF_N];
  uint64_t log_n;
  char log[POLICY_LOG_MAX][160]; /* "<root>/<rest>" passed to openat2, ring */
};

struct policy_root {
  char prefix[PATH_MAX]; /* guest path (normalised, no trailing slash; "/" = everything) */
  size_t len;
  int dirfd;             /* O_PATH fd of the root directory (file entries: of the parent) */
  char file[NAME_MAX + 1]; /* file entries: the name inside dirfd; "" for directories */
  int writable;
};

/* guest path resolution result */
struct policy_target {
  const struct policy_root *root;
  char rest[PATH_MAX];   /* path below root->dirfd ("." for the root itself) */
  char guest[PATH_MAX];  /* normalised absolute guest path */
};

/* Resolves (dirfd, path) to an allowed root. write: the access needs a writable root.
 * 0, or -errno to return to the guest (refusals are counted, and logged once when verbose).
 * for_stat: POLICY_ANCESTOR (t->guest set, t->root NULL) when the path is a directory leading to
 * an allowed entry (/work for an allowed /work/app/server.mjs): it exists in the guest's view as
 * a search-only directory (policy_ancestor_stat), and nothing of the host's is looked up. */
#define POLICY_ANCESTOR 1
int policy_resolve(struct vm *vm, int guest_dirfd, const char *path, int write, int for_stat, struct policy_target *t);
/* openat2 below the target's root with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS; host fd or -errno */
int policy_openat2(struct vm *vm, const struct policy_target *t, int host_flags, int mode);
/* what a stat of a POLICY_ANCESTOR path shows: a directory owned by root, mode 0111 (searchable,
 * not listable), no size, times 0, an inode number derived from the guest path */
void policy_ancestor_stat(const char *guest_path, struct stat *st);
/* guest-visible path of a host fd opened through the policy (for *at() relative to a guest dirfd) */
int policy_fd_path(struct vm *vm, int host_fd, char *out, size_t cap);

const char *policy_cwd(struct vm *vm);
int policy_chdir(struct vm *vm, const char *guest_path);
const char *policy_program(struct vm *vm); /* program path as the guest was started with it */
struct fs_stats *policy_stats(struct vm *vm);
int policy_verbose(struct vm *vm);
/* logs "what" once per VM family when verbose (first occurrence of each refused call) */
void policy_log_once(struct vm *vm, const char *kind, const char *detail);

/* unit tests and fuzz targets (vm_bare.h): a master's policy allows the directory dir (absolute,
 * writable) and nothing else, and the guest's cwd is dir; dir NULL: nothing at all, cwd "/".
 * 0, or -1 with the error set. */
int policy_confine(struct vm *vm, const char *dir);

/* records the program and interpreter of the ELF being loaded (elf_load.c calls it; the policy
 * adds them to the default allow-list when the master's hooks run) */
void elf_note_loaded(const char *path, const char *interp);

#endif
