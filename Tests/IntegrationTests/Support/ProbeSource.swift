// The source of the in-container probe for SecurityTests (see Probe.build).
// Kept as a string: a Swift test target cannot hold C files.
let probeSource = #"""
// An in-container probe for SecurityTests, built static by the test with the host's cc.
// Each argument is one check; each prints "name=RESULT" on its own line, where RESULT is
// 0 for success or the errno of the refused syscall.
//   keyctl clone3 fork thread unshare-user mount raw-socket sethostname module
//   read:FILE listdir:DIR rewrite:FILE mknod:TYPE:MAJ:MIN ptrace:PID (the escape battery)
//   attack-exe SECONDS OUT: CVE-2019-5736 — for SECONDS, scan /proc/*/exe of every other
//     process, keep an O_PATH handle on each binary seen, report its dev:ino, and keep trying
//     to reopen each handle for writing through /proc/self/fd (it never writes). Lines go to
//     OUT; "done" is appended at the end.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *thread_main(void *arg) { return arg; }

static int check(const char *name) {
    if (!strcmp(name, "keyctl")) {
        // KEYCTL_GET_KEYRING_ID of the session keyring (made if there is none).
        return syscall(SYS_keyctl, 0, -3, 1) < 0 ? errno : 0;
    }
    if (!strcmp(name, "clone3")) {
        struct clone_args a;
        memset(&a, 0, sizeof(a));
        a.exit_signal = SIGCHLD;
        long pid = syscall(SYS_clone3, &a, sizeof(a));
        if (pid == 0) _exit(0);
        if (pid < 0) return errno;
        waitpid((pid_t)pid, NULL, 0);
        return 0;
    }
    if (!strcmp(name, "fork")) {
        pid_t pid = fork();
        if (pid == 0) _exit(7);
        if (pid < 0) return errno;
        int st = 0;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -1;
    }
    if (!strcmp(name, "thread")) {
        // glibc's pthread_create tries clone3 first and falls back to clone on ENOSYS.
        pthread_t t;
        int rc = pthread_create(&t, NULL, thread_main, NULL);
        if (rc) return rc;
        pthread_join(t, NULL);
        return 0;
    }
    if (!strcmp(name, "unshare-user")) {
        // In a child: the caller would be left in the new namespace, without its capabilities.
        pid_t pid = fork();
        if (pid == 0) _exit(unshare(CLONE_NEWUSER) < 0 ? errno : 0);
        if (pid < 0) return errno;
        int st = 0;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    if (!strcmp(name, "mount")) {
        if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) < 0) return errno;
        umount("/tmp");
        return 0;
    }
    // name:ARG checks of the escape battery (EscapeTests).
    if (!strncmp(name, "read:", 5)) {  // a file with content: 0; an empty (masked) one: ENODATA
        int fd = open(name + 5, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        char b[64];
        ssize_t n = read(fd, b, sizeof(b));
        int e = errno;
        close(fd);
        return n > 0 ? 0 : (n == 0 ? ENODATA : e);
    }
    if (!strncmp(name, "listdir:", 8)) {  // a directory with entries: 0; an empty (masked) one: ENODATA
        DIR *d = opendir(name + 8);
        if (!d) return errno;
        struct dirent *e;
        int any = 0;
        while ((e = readdir(d))) any |= strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        closedir(d);
        return any ? 0 : ENODATA;
    }
    if (!strncmp(name, "rewrite:", 8)) {  // write a file's own content back to it (changes nothing)
        char b[256];
        int fd = open(name + 8, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        ssize_t n = read(fd, b, sizeof(b));
        close(fd);
        if (n <= 0) return n < 0 ? errno : ENODATA;
        fd = open(name + 8, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return errno;
        ssize_t w = write(fd, b, (size_t)n);
        int e = errno;
        close(fd);
        return w == n ? 0 : (w < 0 ? e : EIO);
    }
    if (!strcmp(name, "raw-socket")) {
        int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        if (s < 0) return errno;
        close(s);
        return 0;
    }
    if (!strncmp(name, "mknod:", 6)) {  // a device node TYPE:MAJ:MIN (b or c) in /dev, opened for reading
        char type = 0;
        unsigned ma = 0, mi = 0;
        sscanf(name + 6, "%c:%u:%u", &type, &ma, &mi);
        const char *p = "/dev/husk-probe-node";
        unlink(p);
        if (mknod(p, (type == 'b' ? S_IFBLK : S_IFCHR) | 0600, makedev(ma, mi)) < 0) return errno;
        int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        int e = errno;
        unlink(p);
        if (fd < 0) return e;
        close(fd);
        return 0;
    }
    if (!strncmp(name, "ptrace:", 7)) {  // attach to a pid; our exit detaches
        return ptrace(PTRACE_SEIZE, (pid_t)atol(name + 7), 0, 0) < 0 ? errno : 0;
    }
    if (!strcmp(name, "sethostname")) return sethostname("husk-attack", 11) < 0 ? errno : 0;
    if (!strcmp(name, "module")) {  // reaching the module loader is the success; it refuses /dev/null's bytes
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        long r = syscall(SYS_finit_module, fd, "", 0);
        int e = errno;
        close(fd);
        if (r == 0) return 0;
        return (e == EPERM || e == ENOSYS || e == EACCES) ? e : 0;
    }
    return -2;
}

struct seen { long pid; dev_t dev; ino_t ino; int fd; int reported_w; };

static int attack_exe(int seconds, const char *out_path) {
    FILE *out = fopen(out_path, "w");
    if (!out) return 1;
    setvbuf(out, NULL, _IOLBF, 0);
    struct seen seen[256];
    int n = 0;
    long me = getpid();
    time_t end = time(NULL) + seconds;
    fprintf(out, "started pid=%ld\n", me);
    while (time(NULL) < end) {
        DIR *d = opendir("/proc");
        if (!d) break;
        struct dirent *e;
        while ((e = readdir(d))) {
            char *endp;
            long pid = strtol(e->d_name, &endp, 10);
            if (*endp || pid <= 0 || pid == me) continue;
            char path[64];
            snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
            int fd = open(path, O_PATH | O_CLOEXEC);
            if (fd < 0) continue;
            struct stat st;
            if (fstat(fd, &st) < 0) { close(fd); continue; }
            int known = 0;
            for (int i = 0; i < n; i++) known |= seen[i].dev == st.st_dev && seen[i].ino == st.st_ino;
            if (known || n == 256) { close(fd); continue; }
            char target[256] = "";
            readlink(path, target, sizeof(target) - 1);
            fprintf(out, "handle pid=%ld dev=%lu ino=%lu exe=%s\n", pid, (unsigned long)st.st_dev,
                    (unsigned long)st.st_ino, target);
            seen[n++] = (struct seen){pid, st.st_dev, st.st_ino, fd, 0};
        }
        closedir(d);
        for (int i = 0; i < n; i++) {
            if (seen[i].reported_w) continue;
            char path[64];
            snprintf(path, sizeof(path), "/proc/self/fd/%d", seen[i].fd);
            int w = open(path, O_WRONLY | O_CLOEXEC);
            if (w >= 0) {
                fprintf(out, "writable dev=%lu ino=%lu\n", (unsigned long)seen[i].dev, (unsigned long)seen[i].ino);
                seen[i].reported_w = 1;
                close(w);
            }
        }
    }
    fprintf(out, "done\n");
    fclose(out);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && !strcmp(argv[1], "attack-exe")) return attack_exe(atoi(argv[2]), argv[3]);
    for (int i = 1; i < argc; i++) printf("%s=%d\n", argv[i], check(argv[i]));
    return 0;
}
"""#
