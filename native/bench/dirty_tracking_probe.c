// Probe: KVM dirty ring vs dirty log (manual protect): cost to collect and re-arm tracking per run
// for a real-mode guest that dirties N pages. Usage: dirty_tracking_probe <log|ring> <slot MiB> <pages>
// (Real mode is emulated on kvm_pvm, so only the collect+re-arm column is meaningful there.)
#define _GNU_SOURCE
#include <linux/kvm.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
static uint64_t ns(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000ULL+t.tv_nsec;}
int main(int argc,char**argv){
  if(argc<4){fprintf(stderr,"usage: %s <log|ring> <slot MiB> <pages>\n",argv[0]);return 2;}
  int use_ring=strcmp(argv[1],"ring")==0; uint64_t mib=atoi(argv[2]); int pages=atoi(argv[3]);
  int kvm=open("/dev/kvm",O_RDWR); int vm=ioctl(kvm,KVM_CREATE_VM,0);
  uint32_t entries=4096;
  if(use_ring){struct kvm_enable_cap c={.cap=KVM_CAP_DIRTY_LOG_RING};c.args[0]=entries*sizeof(struct kvm_dirty_gfn);
    if(ioctl(vm,KVM_ENABLE_CAP,&c)<0){perror("ring");return 1;}}
  else{struct kvm_enable_cap c={.cap=KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2};c.args[0]=1;ioctl(vm,KVM_ENABLE_CAP,&c);}
  uint64_t size=mib<<20; uint8_t*mem=mmap(0,size,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE,-1,0);
  /* real-mode code at 0x1000: for i in 0..pages: mov byte [0x10000 + i*4096]... using segment es */
  uint8_t*c=mem+0x1000; int k=0;
  /* mov cx,pages ; mov ax,0x1000 ; mov es,ax ; xor di,di ; loop: mov byte es:[di],1 ; add ax,0x100 ; mov es,ax ; loop ; out 0x10,al ; jmp 0x1000 */
  c[k++]=0xb9;c[k++]=pages&0xff;c[k++]=pages>>8; c[k++]=0xb8;c[k++]=0x00;c[k++]=0x10; c[k++]=0x8e;c[k++]=0xc0;
  int loop=k; c[k++]=0x26;c[k++]=0xc6;c[k++]=0x06;c[k++]=0;c[k++]=0;c[k++]=1; /* mov byte es:[0],1 */
  c[k++]=0x05;c[k++]=0x00;c[k++]=0x01; c[k++]=0x8e;c[k++]=0xc0; c[k++]=0xe2;c[k]=(uint8_t)(loop-(k+1));k++;
  c[k++]=0xe6;c[k++]=0x10; c[k++]=0xe9; int16_t rel=(int16_t)(0-(k+2)); memcpy(c+k,&rel,2);k+=2;
  struct kvm_userspace_memory_region r={.slot=0,.flags=KVM_MEM_LOG_DIRTY_PAGES,.memory_size=size,.userspace_addr=(uint64_t)mem};
  if(ioctl(vm,KVM_SET_USER_MEMORY_REGION,&r)<0){perror("slot");return 1;}
  int cpu=ioctl(vm,KVM_CREATE_VCPU,0); int rs=ioctl(kvm,KVM_GET_VCPU_MMAP_SIZE,0);
  struct kvm_run*run=mmap(0,rs,PROT_READ|PROT_WRITE,MAP_SHARED,cpu,0);
  struct kvm_dirty_gfn*ring=NULL; uint32_t fetch=0;
  if(use_ring){ring=mmap(0,entries*sizeof(*ring),PROT_READ|PROT_WRITE,MAP_SHARED,cpu,KVM_DIRTY_LOG_PAGE_OFFSET*getpagesize()); if(ring==MAP_FAILED){perror("ringmap");return 1;}}
  struct kvm_sregs s; ioctl(cpu,KVM_GET_SREGS,&s); s.cs.base=0;s.cs.selector=0; ioctl(cpu,KVM_SET_SREGS,&s);
  struct kvm_regs g; memset(&g,0,sizeof g); g.rip=0x1000; g.rflags=2; ioctl(cpu,KVM_SET_REGS,&g);
  uint64_t words=(size/4096+63)/64; uint64_t*bm=calloc(words,8);
  double trun=0,tcol=0; int iters=300, warm=20; uint64_t seen=0;
  for(int it=0;it<iters+warm;it++){
    uint64_t t0=ns(); if(ioctl(cpu,KVM_RUN,0)<0){perror("run");return 1;}
    if(run->exit_reason!=KVM_EXIT_IO){printf("exit %d\n",run->exit_reason);return 1;}
    uint64_t t1=ns(); uint64_t n=0;
    if(use_ring){ for(;;){struct kvm_dirty_gfn*e=&ring[fetch%entries]; if(!(__atomic_load_n(&e->flags,__ATOMIC_ACQUIRE)&KVM_DIRTY_GFN_F_DIRTY))break; bm[e->offset/64]|=1ULL<<(e->offset%64); e->flags=KVM_DIRTY_GFN_F_RESET; fetch++; n++;}
      ioctl(vm,KVM_RESET_DIRTY_RINGS,0); }
    else{ struct kvm_dirty_log l={.slot=0}; l.dirty_bitmap=bm; ioctl(vm,KVM_GET_DIRTY_LOG,&l); for(uint64_t i=0;i<words;i++)n+=__builtin_popcountll(bm[i]);
      struct kvm_clear_dirty_log cl={.slot=0,.num_pages=size/4096,.first_page=0}; cl.dirty_bitmap=bm; ioctl(vm,KVM_CLEAR_DIRTY_LOG,&cl);}
    uint64_t t2=ns(); memset(bm,0,words*8);
    if(it>=warm){trun+=t1-t0;tcol+=t2-t1;seen+=n;}
  }
  printf("%-4s slot %5llu MiB, %4d pages/run: run %.1f us, collect+re-arm %.2f us, dirty seen/run %.1f\n",argv[1],(unsigned long long)mib,pages,trun/iters/1000,tcol/iters/1000,(double)seen/iters);
  return 0;}
