/* isobench engine: file-system sandbox policy of a master (and its workers), and its counters.
 * Configure between ib_master_create and ib_master_run_to_ready. Default allow-list (read-only):
 * the program and its interpreter (under their given and real names), /etc/ld.so.cache, the
 * system library directories (/lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu) and, when the
 * program is pythonX.Y, /usr/lib/pythonX.Y. Nothing else is readable; nothing is writable. */
#ifndef ISOBENCH_FS_H
#define ISOBENCH_FS_H
#include "isobench.h"

#ifdef __cplusplus
extern "C" {
#endif

/* allow reading path (a directory: everything beneath it; a file: that file); 0 or -1 */
IB_API int ib_master_allow_read(ib_master *m, const char *path);
/* allow reading and writing (create, truncate) beneath path; 0 or -1 */
IB_API int ib_master_allow_write(ib_master *m, const char *path);
/* the guest's initial working directory (absolute guest path; default "/"); 0 or -1 */
IB_API int ib_master_set_cwd(ib_master *m, const char *path);
/* print the first occurrence of each refused access on stderr */
IB_API int ib_master_set_fs_verbose(ib_master *m, int on);
/* {"hostOpens":N,"refused":{"read","write","stat","escape","kind"},"openFds":N}: malloc'd, free with ib_fs_json_free */
IB_API char *ib_master_fs_json(ib_master *m);
IB_API char *ib_worker_fs_json(ib_worker *w);
IB_API void ib_fs_json_free(char *s);
/* i-th host path opened for the master's guest (only the most recent 64 are kept): length, 0 if gone */
IB_API size_t ib_master_fs_opened(ib_master *m, size_t i, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
