/* x86-64 page-table entry bits, as the engine writes the guest's tables (kvm.c, pt_prot.c) */
#ifndef IB_PTE_H
#define IB_PTE_H
#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#endif
