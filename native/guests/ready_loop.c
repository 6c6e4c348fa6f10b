/* Test guest that never becomes ready (boot time limit). */
#include "guest.h"
GUEST_START
void gmain(u64 *sp) { (void)sp; for (volatile u64 i = 0;; i++) {} }
