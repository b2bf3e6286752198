// The supervisor's signal plumbing and the CLI's detached spawn (see husk_supervise.h).
#define _GNU_SOURCE
#include "husk_supervise.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <stdint.h>
#include <unistd.h>

pid_t husk_spawn_detached(const char *path, char *const argv[], char *const envp[], int status_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    // fd 3 first: status_fd may itself be 0..2 in theory; dup2 clears CLOEXEC on the copy.
    posix_spawn_file_actions_adddup2(&fa, status_fd, 3);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc == 0 ? pid : -rc;
}

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
#define N_FORWARDED (int)(sizeof(forwarded) / sizeof(forwarded[0]))
static volatile sig_atomic_t pending[N_FORWARDED];

static void record(int sig) {
    for (int i = 0; i < N_FORWARDED; i++)
        if (forwarded[i] == sig) pending[i] = 1;
}

void husk_sup_record_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = record;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < N_FORWARDED; i++) sigaction(forwarded[i], &sa, NULL);
}

int husk_sup_block_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < N_FORWARDED; i++) sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -errno;
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int husk_sup_take_pending(void) {
    for (int i = 0; i < N_FORWARDED; i++) {
        if (pending[i]) { pending[i] = 0; return forwarded[i]; }
    }
    return 0;
}

int husk_sup_read_signal(int sfd) {
    struct signalfd_siginfo si;
    ssize_t n;
    do { n = read(sfd, &si, sizeof(si)); } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN ? 0 : -errno;
    if (n != (ssize_t)sizeof(si)) return 0;
    return (int)si.ssi_signo;
}

extern const char __executable_start[];
extern const char _end[];

// Drops this process's mappings of the binary's pages that are still the page cache's own
// (text, read-only data, and data never written): they refault from the file unchanged.
// Pages the process wrote (copied on write, now anonymous) are kept; /proc/self/pagemap tells
// which are which (bit 63 present, bit 61 file page).
static void drop_clean_image_pages(void) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)__executable_start & ~(page - 1);
    uintptr_t end = ((uintptr_t)_end + page - 1) & ~(page - 1);
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    uint64_t entries[512];
    uintptr_t run = 0;  // start of the current run of droppable pages, 0 when none
    for (uintptr_t addr = start; addr < end;) {
        size_t want = (end - addr) / page;
        if (want > 512) want = 512;
        ssize_t got = pread(fd, entries, want * sizeof(uint64_t), (off_t)(addr / page * sizeof(uint64_t)));
        if (got <= 0) break;
        size_t n = (size_t)got / sizeof(uint64_t);
        for (size_t i = 0; i < n; i++, addr += page) {
            int droppable = (entries[i] >> 63 & 1) && (entries[i] >> 61 & 1);
            if (droppable && run == 0) run = addr;
            if (!droppable && run != 0) { madvise((void *)run, addr - run, MADV_DONTNEED); run = 0; }
        }
    }
    if (run != 0) madvise((void *)run, end - run, MADV_DONTNEED);
    close(fd);
}

void husk_sup_release_startup_memory(void) {
    drop_clean_image_pages();
    malloc_trim(0);
}
