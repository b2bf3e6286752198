// The supervisor's steady state, in C: while the container runs, its supervisor only relays
// output into container.log, forwards signals and waits for init. Doing that in C keeps the
// supervisor small for the container's whole life: the Swift set-up's pages are released first
// (husk_sup_release_startup_memory) and this loop touches a few pages of text and static buffers.
// The log format is ContainerLog's (Sources/Runtime/ContainerLog.swift), which reads it back.
#define _GNU_SOURCE
#include "husk_supervise.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>  // rename
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// A partial line is written out once it is this long (or when output pauses).
#define PARTIAL_LIMIT (16 * 1024)
// Output pauses this long before partial lines are written out.
#define IDLE_FLUSH_MS 200

struct stream {
    int fd;
    const char *name;
    size_t len;
    char buf[PARTIAL_LIMIT];
};

struct log_file {
    int fd;
    off_t size;
    off_t max_size;
    const char *path;
    const char *rotated;
    unsigned long long dropped;
};

// Static, so the loop allocates nothing; .bss pages are touched only as far as they are used.
static struct stream streams[2];
// The longest entry: every byte escaped as \u00XX, plus the JSON around it.
static char entry_buf[PARTIAL_LIMIT * 6 + 256];
static char read_buf[64 * 1024];

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Writes `value` as `width` decimal digits (zero-padded), or as many as it needs when width is 0.
// (No snprintf or gmtime_r: the loop keeps to a few pages of code.)
static size_t put_number(char *out, unsigned long long value, int width) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value > 0);
    while (n < width) digits[n++] = '0';
    for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    return (size_t)n;
}

// RFC 3339 with nanoseconds, trailing zeros trimmed, UTC: rfc3339Now()'s format.
static size_t format_time(char *out, const struct timespec *ts) {
    long long secs = ts->tv_sec;
    long long days = secs / 86400, rem = secs % 86400;
    if (rem < 0) { rem += 86400; days--; }
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar, eras of 400 years).
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1;
    long long month = mp < 10 ? mp + 3 : mp - 9;
    long long year = yoe + era * 400 + (month <= 2);
    size_t o = put_number(out, (unsigned long long)year, 4);
    out[o++] = '-';
    o += put_number(out + o, (unsigned long long)month, 2);
    out[o++] = '-';
    o += put_number(out + o, (unsigned long long)day, 2);
    out[o++] = 'T';
    o += put_number(out + o, (unsigned long long)(rem / 3600), 2);
    out[o++] = ':';
    o += put_number(out + o, (unsigned long long)(rem / 60 % 60), 2);
    out[o++] = ':';
    o += put_number(out + o, (unsigned long long)(rem % 60), 2);
    if (ts->tv_nsec > 0) {
        out[o++] = '.';
        size_t frac = put_number(out + o, (unsigned long long)ts->tv_nsec, 9);
        while (frac > 0 && out[o + frac - 1] == '0') frac--;
        o += frac;
    }
    out[o++] = 'Z';
    return o;
}

static size_t put_text(char *out, const char *text) {
    size_t n = strlen(text);
    memcpy(out, text, n);
    return n;
}

// Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not valid.
static size_t utf8_sequence(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t len;
    unsigned int cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

// A JSON string body: RFC 8259 escapes (as the JSON module writes them), invalid UTF-8 as U+FFFD.
static size_t escape(char *out, const char *text, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = utf8_sequence(p + i, n - i);
            if (len == 0) { memcpy(out + o, "\xEF\xBF\xBD", 3); o += 3; i++; continue; }
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
            continue;
        }
        switch (c) {
        case '"': out[o++] = '\\'; out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        case '\b': out[o++] = '\\'; out[o++] = 'b'; break;
        case '\f': out[o++] = '\\'; out[o++] = 'f'; break;
        default:
            if (c < 0x20) {
                memcpy(out + o, "\\u00", 4);
                o += 4;
                out[o++] = hex[c >> 4];
                out[o++] = hex[c & 0x0F];
            } else {
                out[o++] = (char)c;
            }
        }
        i++;
    }
    return o;
}

// {"stream":S,"time":T,"log":L[,"dropped":N]}\n
static size_t format_entry(const char *stream, const char *text, size_t n, unsigned long long dropped) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    size_t o = put_text(entry_buf, "{\"stream\":\"");
    o += put_text(entry_buf + o, stream);
    o += put_text(entry_buf + o, "\",\"time\":\"");
    o += format_time(entry_buf + o, &now);
    o += put_text(entry_buf + o, "\",\"log\":\"");
    o += escape(entry_buf + o, text, n);
    entry_buf[o++] = '"';
    if (dropped > 0) {
        o += put_text(entry_buf + o, ",\"dropped\":");
        o += put_number(entry_buf + o, dropped, 0);
    }
    entry_buf[o++] = '}';
    entry_buf[o++] = '\n';
    return o;
}

static void log_open(struct log_file *log) {
    log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st;
    log->size = log->fd >= 0 && fstat(log->fd, &st) == 0 ? st.st_size : 0;
}

static void log_rotate(struct log_file *log) {
    if (log->fd >= 0) close(log->fd);
    log->fd = -1;
    rename(log->path, log->rotated);
    log_open(log);
}

// One whole entry or nothing: a short write is cut back off, so no line is torn.
static int log_write(struct log_file *log, const char *line, size_t n) {
    if (log->size > 0 && log->size + (off_t)n > log->max_size) log_rotate(log);
    if (log->fd < 0) log_open(log);
    if (log->fd < 0) return 0;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(log->fd, line + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (done > 0 && ftruncate(log->fd, log->size) != 0) { /* the entry stays torn; nothing better to do */ }
            return 0;
        }
        done += (size_t)w;
    }
    log->size += (off_t)n;
    return 1;
}

static void report_dropped(struct log_file *log) {
    static const char note[] = "no space left for the container's output";
    size_t n = format_entry("husk", note, sizeof(note) - 1, log->dropped);
    if (log_write(log, entry_buf, n)) log->dropped = 0;
}

static void emit(struct log_file *log, const char *stream, const char *text, size_t n) {
    if (log->dropped > 0) report_dropped(log);
    size_t len = format_entry(stream, text, n, 0);
    if (!log_write(log, entry_buf, len)) log->dropped += n;
}

// Complete lines become entries at once; a line is cut into entries of PARTIAL_LIMIT bytes.
static void append(struct log_file *log, struct stream *s, const char *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        s->buf[s->len++] = bytes[i];
        if (bytes[i] == '\n' || s->len == PARTIAL_LIMIT) {
            emit(log, s->name, s->buf, s->len);
            s->len = 0;
        }
    }
}

static void flush_partial(struct log_file *log) {
    for (int i = 0; i < 2; i++) {
        if (streams[i].len > 0) emit(log, streams[i].name, streams[i].buf, streams[i].len);
        streams[i].len = 0;
    }
    if (log->dropped > 0) report_dropped(log);
}

static void reap(pid_t init_pid, struct husk_sup_loop_result *r, long long *exited_ms) {
    int raw;
    pid_t pid;
    while ((pid = waitpid(-1, &raw, WNOHANG)) > 0) {
        if (pid == init_pid && !r->reaped) {
            r->reaped = 1;
            r->status = raw;
            clock_gettime(CLOCK_REALTIME, &r->finished);
            *exited_ms = monotonic_ms();
        }
    }
}

void husk_sup_loop(const struct husk_sup_loop_args *a, struct husk_sup_loop_result *r) {
    husk_sup_release_startup_memory();
    struct log_file log = {.fd = -1, .max_size = a->log_max_size > 0 ? a->log_max_size : 1,
                           .path = a->log_path, .rotated = a->rotated_path};
    log_open(&log);
    streams[0] = (struct stream){.fd = a->stdout_fd, .name = "stdout"};
    streams[1] = (struct stream){.fd = a->stderr_fd, .name = "stderr"};
    memset(r, 0, sizeof(*r));
    long long exited_ms = 0;

    for (;;) {
        reap(a->init_pid, r, &exited_ms);
        int open_streams = (streams[0].fd >= 0) + (streams[1].fd >= 0);
        if (r->reaped && (open_streams == 0 || monotonic_ms() - exited_ms >= a->drain_ms)) break;

        struct pollfd fds[3];
        int which[3];
        nfds_t n = 0;
        for (int i = 0; i < 2; i++) {
            if (streams[i].fd < 0) continue;
            fds[n] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
            which[n++] = i;
        }
        fds[n] = (struct pollfd){.fd = a->signal_fd, .events = POLLIN};
        which[n++] = -1;
        long long left = a->drain_ms - (monotonic_ms() - exited_ms);
        int timeout = r->reaped ? (int)(left > 1 ? left : 1) : IDLE_FLUSH_MS;
        int ready = poll(fds, n, timeout);
        if (ready < 0 && errno != EINTR) break;
        if (ready == 0) { flush_partial(&log); continue; }
        for (nfds_t k = 0; ready > 0 && k < n; k++) {
            if (fds[k].revents == 0) continue;
            if (which[k] < 0) {
                int sig;
                while ((sig = husk_sup_read_signal(a->signal_fd)) > 0)
                    if (sig != SIGCHLD && !r->reaped) kill(a->init_pid, sig);
                continue;
            }
            struct stream *s = &streams[which[k]];
            ssize_t got = read(s->fd, read_buf, sizeof(read_buf));
            if (got > 0) {
                append(&log, s, read_buf, (size_t)got);
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(s->fd);
                s->fd = -1;
            }
        }
    }
    flush_partial(&log);
    if (log.fd >= 0) close(log.fd);
    for (int i = 0; i < 2; i++) {
        if (streams[i].fd >= 0) close(streams[i].fd);
        streams[i].fd = -1;
    }
    reap(a->init_pid, r, &exited_ms);
}
