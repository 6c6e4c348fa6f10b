/* The guest's CPUID and XCR0 (src/guest_cpuid.c). */
#ifndef IB_GUEST_CPUID_H
#define IB_GUEST_CPUID_H
#include <linux/kvm.h>
#include <stdint.h>

/* Filters KVM's supported CPUID in place to the features the engine supports and returns the
 * XCR0 the guest runs with (x87|SSE, plus AVX when offered); leaf 0xD then describes exactly it. */
uint64_t cpuid_filter(struct kvm_cpuid2 *c);

#endif
