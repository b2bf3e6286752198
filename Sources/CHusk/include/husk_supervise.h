// Calls for the supervisor (`husk supervise`, a re-exec of husk itself) and the CLI that
// starts it: a detached posix_spawn, and signals taken through a signalfd.
#ifndef HUSK_SUPERVISE_H
#define HUSK_SUPERVISE_H

#include <sys/types.h>
#include <time.h>

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

// Unmaps (MADV_DONTNEED) the binary's pages that are still the page cache's own (text, read-only
// data, data never written) and returns free heap to the kernel: a long-lived supervisor runs a
// small loop, and the pages start-up touched (plus the kernel's fault-around) would otherwise
// stay counted in its RSS for the container's life. Dropped pages refault unchanged when used.
void husk_sup_release_startup_memory(void);

// What the supervisor's loop watches: init, the read ends of its stdout/stderr pipes, the
// signalfd from husk_sup_block_signals, and where container.log goes.
struct husk_sup_loop_args {
    pid_t init_pid;
    int stdout_fd;
    int stderr_fd;
    int signal_fd;
    const char *log_path;
    const char *rotated_path;
    long long log_max_size;
    // How long output is still read after init exited (processes that outlive it keep the pipes).
    int drain_ms;
};

struct husk_sup_loop_result {
    int reaped;       // init was reaped: `status` is its wait status
    int status;
    struct timespec finished;  // CLOCK_REALTIME when init was reaped
};

// Releases the set-up's memory (husk_sup_release_startup_memory), then relays output into
// container.log (JSON lines, rotation at log_max_size, output dropped and counted when the
// disk is full), forwards signals to init and reaps children until init has
// exited and its output is drained. Closes the stream fds; allocates nothing.
void husk_sup_loop(const struct husk_sup_loop_args *args, struct husk_sup_loop_result *result);

#endif
