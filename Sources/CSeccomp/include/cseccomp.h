// libseccomp as Swift sees it: <seccomp.h> plus functions for what Swift cannot import
// (function-like and constant macros over audit/ELF headers), BPF export into memory,
// and a test-only helper that applies a filter in a forked child that runs only C.
#ifndef CSECCOMP_H
#define CSECCOMP_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

// Actions.
static inline uint32_t cseccomp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t cseccomp_act_kill_thread(void) { return SCMP_ACT_KILL_THREAD; }
static inline uint32_t cseccomp_act_trap(void) { return SCMP_ACT_TRAP; }
static inline uint32_t cseccomp_act_errno(uint32_t err) { return SCMP_ACT_ERRNO(err); }
static inline uint32_t cseccomp_act_trace(uint32_t msg) { return SCMP_ACT_TRACE(msg); }
static inline uint32_t cseccomp_act_log(void) { return SCMP_ACT_LOG; }
static inline uint32_t cseccomp_act_allow(void) { return SCMP_ACT_ALLOW; }
static inline uint32_t cseccomp_act_notify(void) { return SCMP_ACT_NOTIFY; }

// Architecture tokens (AUDIT_ARCH_* values; 0 is the native one).
static inline uint32_t cseccomp_arch_native(void) { return SCMP_ARCH_NATIVE; }
static inline uint32_t cseccomp_arch_x86(void) { return SCMP_ARCH_X86; }
static inline uint32_t cseccomp_arch_x86_64(void) { return SCMP_ARCH_X86_64; }
static inline uint32_t cseccomp_arch_x32(void) { return SCMP_ARCH_X32; }
static inline uint32_t cseccomp_arch_arm(void) { return SCMP_ARCH_ARM; }
static inline uint32_t cseccomp_arch_aarch64(void) { return SCMP_ARCH_AARCH64; }
static inline uint32_t cseccomp_arch_mips(void) { return SCMP_ARCH_MIPS; }
static inline uint32_t cseccomp_arch_mips64(void) { return SCMP_ARCH_MIPS64; }
static inline uint32_t cseccomp_arch_mips64n32(void) { return SCMP_ARCH_MIPS64N32; }
static inline uint32_t cseccomp_arch_mipsel(void) { return SCMP_ARCH_MIPSEL; }
static inline uint32_t cseccomp_arch_mipsel64(void) { return SCMP_ARCH_MIPSEL64; }
static inline uint32_t cseccomp_arch_mipsel64n32(void) { return SCMP_ARCH_MIPSEL64N32; }
static inline uint32_t cseccomp_arch_ppc(void) { return SCMP_ARCH_PPC; }
static inline uint32_t cseccomp_arch_ppc64(void) { return SCMP_ARCH_PPC64; }
static inline uint32_t cseccomp_arch_ppc64le(void) { return SCMP_ARCH_PPC64LE; }
static inline uint32_t cseccomp_arch_s390(void) { return SCMP_ARCH_S390; }
static inline uint32_t cseccomp_arch_s390x(void) { return SCMP_ARCH_S390X; }
static inline uint32_t cseccomp_arch_parisc(void) { return SCMP_ARCH_PARISC; }
static inline uint32_t cseccomp_arch_parisc64(void) { return SCMP_ARCH_PARISC64; }
static inline uint32_t cseccomp_arch_riscv64(void) { return SCMP_ARCH_RISCV64; }

// The syscall number libseccomp returns for names it does not know.
static inline int cseccomp_nr_error(void) { return __NR_SCMP_ERROR; }

// Exports the filter as classic BPF (an array of struct sock_filter) into memory:
// *buf gets a malloc'ed copy (free it with cseccomp_free), *len its size in bytes.
// Returns 0 or -errno. (libseccomp 2.5.4 has no seccomp_export_bpf_mem: this goes
// through a memfd.)
int cseccomp_export(scmp_filter_ctx ctx, void **buf, size_t *len);
void cseccomp_free(void *buf);

// Tests only. Forks; the child (C only) sets no_new_privs, loads `filter` (len bytes of
// struct sock_filter) with seccomp(SECCOMP_SET_MODE_FILTER, flags), calls uname(2) and
// _exits with its errno (0 on success). Returns the child's exit status, 255 when the
// filter did not load, 256 + signal when the child was killed, or -errno.
int cseccomp_test_apply_and_call_getpid(const void *filter, size_t len);
// Same, but calls syscall `nr` with the six given arguments.
int cseccomp_test_apply_and_syscall(const void *filter, size_t len, unsigned int flags, long nr,
                                    long a0, long a1, long a2, long a3, long a4, long a5);

#endif
