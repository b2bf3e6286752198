// fntrace: runs a command under ptrace and prints, in the order they first run, the functions
// of its binary that it (and its forks, and any re-exec of the same binary) executes.
// Used by symbol-order.sh to write the link order file. It puts a breakpoint (int3) on the
// entry of every function listed in SYMS and removes each one the first time it is hit, so a
// function costs one stop however often it runs: a `husk run` traces in about a second, and
// unlike valgrind it follows the container's child (C between clone and execve) and every
// syscall the real run makes.
//
// Usage: fntrace SYMS OUT COMMAND [ARG...]
//   SYMS  lines "HEXADDR NAME" (function entries of COMMAND's binary, e.g. from nm)
//   OUT   written with one hex address per line, first hit first
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t *addrs;  // sorted function entries
static size_t naddrs;
static uint64_t lo, hi;  // the span they cover
static unsigned char *orig, *armed;  // the span's bytes, as in the binary and with every int3
static char *hit;  // per entry: already recorded
static FILE *out;
static char exe[4096];

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long find(uint64_t a) {
    size_t l = 0, r = naddrs;
    while (l < r) {
        size_t m = (l + r) / 2;
        if (addrs[m] < a) l = m + 1; else r = m;
    }
    return l < naddrs && addrs[l] == a ? (long)l : -1;
}

static int mem(pid_t pid) {
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/mem", pid);
    return open(p, O_RDWR | O_CLOEXEC);
}

// Writes the armed span into a freshly exec'd copy of the binary (the kernel's /proc/PID/mem
// writes through the read-only text mapping, copying the pages privately).
static int arm(pid_t pid) {
    int fd = mem(pid);
    if (fd < 0) return -1;
    if (pread(fd, orig, hi - lo, (off_t)lo) != (ssize_t)(hi - lo)) { close(fd); return -1; }
    memcpy(armed, orig, hi - lo);
    for (size_t i = 0; i < naddrs; i++)
        if (!hit[i]) armed[addrs[i] - lo] = 0xcc;
    ssize_t n = pwrite(fd, armed, hi - lo, (off_t)lo);
    close(fd);
    return n == (ssize_t)(hi - lo) ? 0 : -1;
}

static int same_binary(pid_t pid) {
    char p[64], target[4096];
    snprintf(p, sizeof p, "/proc/%d/exe", pid);
    ssize_t n = readlink(p, target, sizeof target - 1);
    if (n < 0) return 0;
    target[n] = 0;
    return strcmp(target, exe) == 0;
}

// A stop at an int3 of ours: record the function, put its first byte back, rerun it.
static int breakpoint(pid_t pid) {
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) return 0;
    long i = find(r.rip - 1);
    if (i < 0) return 0;
    if (!hit[i]) { hit[i] = 1; fprintf(out, "%lx\n", (unsigned long)addrs[i]); }
    int fd = mem(pid);
    if (fd >= 0) { pwrite(fd, &orig[addrs[i] - lo], 1, (off_t)addrs[i]); close(fd); }
    r.rip -= 1;
    ptrace(PTRACE_SETREGS, pid, 0, &r);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: fntrace SYMS OUT COMMAND [ARG...]\n"); return 2; }
    FILE *syms = fopen(argv[1], "r");
    if (!syms) { perror(argv[1]); return 2; }
    size_t cap = 1 << 16;
    addrs = malloc(cap * sizeof *addrs);
    char line[8192];
    while (fgets(line, sizeof line, syms)) {
        unsigned long a;
        if (sscanf(line, "%lx", &a) != 1 || a == 0) continue;
        if (naddrs == cap) addrs = realloc(addrs, (cap *= 2) * sizeof *addrs);
        addrs[naddrs++] = a;
    }
    fclose(syms);
    if (naddrs == 0) { fprintf(stderr, "fntrace: no addresses in %s\n", argv[1]); return 2; }
    qsort(addrs, naddrs, sizeof *addrs, cmp);
    size_t u = 1;
    for (size_t i = 1; i < naddrs; i++) if (addrs[i] != addrs[u - 1]) addrs[u++] = addrs[i];
    naddrs = u;
    lo = addrs[0];
    hi = addrs[naddrs - 1] + 1;
    orig = malloc(hi - lo);
    armed = malloc(hi - lo);
    hit = calloc(naddrs, 1);
    out = fopen(argv[2], "w");
    if (!out) { perror(argv[2]); return 2; }

    pid_t root = fork();
    if (root == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    int st;
    if (waitpid(root, &st, 0) < 0 || !WIFSTOPPED(st)) { fprintf(stderr, "fntrace: %s did not start\n", argv[3]); return 2; }
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/exe", root);
    ssize_t n = readlink(p, exe, sizeof exe - 1);
    if (n < 0) { perror(p); return 2; }
    exe[n] = 0;
    ptrace(PTRACE_SETOPTIONS, root, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
           PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    if (arm(root) < 0) { fprintf(stderr, "fntrace: cannot write breakpoints: %s\n", strerror(errno)); return 2; }
    ptrace(PTRACE_CONT, root, 0, 0);

    int rc = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &st, __WALL);
        if (pid < 0) break;
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (pid == root) rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st), event = st >> 16;
        if (event == PTRACE_EVENT_EXEC) {
            // Another program: nothing of ours to see. husk again: arm it afresh.
            if (!same_binary(pid) || arm(pid) < 0) { ptrace(PTRACE_DETACH, pid, 0, 0); continue; }
            sig = 0;
        } else if (event != 0) {
            sig = 0;  // fork/clone notifications; the new child reports its own first stop
        } else if (sig == SIGTRAP && breakpoint(pid)) {
            sig = 0;
        } else if (sig == SIGSTOP) {
            sig = 0;  // the first stop of an auto-attached child
        }
        ptrace(PTRACE_CONT, pid, 0, sig);
    }
    fclose(out);
    return rc;
}
