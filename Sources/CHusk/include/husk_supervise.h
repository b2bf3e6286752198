// Calls for the supervisor (`husk supervise`, a re-exec of husk itself) and the CLI that
// starts it: a detached posix_spawn, and signals taken through a signalfd.
#ifndef HUSK_SUPERVISE_H
#define HUSK_SUPERVISE_H

#include <sys/types.h>

// posix_spawn of `path` with POSIX_SPAWN_SETSID, stdin/stdout/stderr on /dev/null, `status_fd`
// as fd 3, default signal dispositions and an empty mask. Returns the pid or -errno.
pid_t husk_spawn_detached(const char *path, char *const argv[], char *const envp[], int status_fd);

// Records SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 as pending (a C handler, async-signal-safe)
// until husk_sup_block_signals: signals that arrive while the container is being set up.
void husk_sup_record_signals(void);
// Blocks those signals and SIGCHLD and returns a signalfd (CLOEXEC|NONBLOCK) for them, or -errno.
int husk_sup_block_signals(void);
// Takes one signal recorded before blocking (0 when none).
int husk_sup_take_pending(void);
// Reads one signal from the signalfd: its number, 0 when none is waiting, -errno on error.
int husk_sup_read_signal(int sfd);

// Unmaps (MADV_DONTNEED) the resident pages of the binary's text and returns free heap to the
// kernel: a long-lived supervisor runs a small loop, and the pages start-up touched (plus the
// kernel's fault-around) would otherwise stay counted in its RSS for the container's life.
// Text is never written, so dropped pages refault from the page cache when used again.
void husk_sup_release_startup_memory(void);

#endif
