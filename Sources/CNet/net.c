// TCP and TLS connections for husk pull. See include/cnet.h.
#define _GNU_SOURCE
#include "cnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct cnet_tls {
    SSL_CTX *ctx;
    int verify;
};

struct cnet_conn {
    int fd;
    SSL *ssl;
    int timeout_ms;
    char err[512];
};

static void say(char *err, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

// The oldest queued OpenSSL error as text (queue cleared), or `fallback`.
static const char *ssl_reason(const char *fallback) {
    static __thread char buf[256];
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return fallback;
    const char *r = ERR_reason_error_string(e);
    if (r) snprintf(buf, sizeof buf, "%s", r);
    else ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Waits until fd is ready for `events` or timeout_ms pass: 1 ready, 0 timed out, -1 error.
static int wait_fd(int fd, short events, int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - now_ms();
        if (left < 0) left = 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0) return 1;
        if (r == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

struct cnet_tls *cnet_tls_new(int verify, const char *ca_file, char *err, size_t errlen) {
    // The host's openssl.cnf is not read: this binary is static and another distribution's config
    // may name providers or policies this OpenSSL does not have.
    if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
        say(err, errlen, "TLS: cannot initialise OpenSSL: %s", ssl_reason("unknown error"));
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        say(err, errlen, "TLS: SSL_CTX_new: %s", ssl_reason("unknown error"));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Registries often close without close_notify; HTTP framing tells a truncated body apart.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        // Honours SSL_CERT_FILE and SSL_CERT_DIR, else OpenSSL's compiled-in paths (Debian's).
        SSL_CTX_set_default_verify_paths(ctx);
        if (!getenv("SSL_CERT_FILE") && !getenv("SSL_CERT_DIR")) {
            // A static binary may run on a distribution whose bundle lives elsewhere.
            static const char *bundles[] = {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                            "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem", NULL};
            for (int i = 0; bundles[i]; i++) {
                if (access(bundles[i], R_OK) == 0) {
                    SSL_CTX_load_verify_locations(ctx, bundles[i], NULL);
                    break;
                }
            }
        }
        ERR_clear_error();
        if (ca_file && *ca_file && access(ca_file, R_OK) != 0) {
            say(err, errlen, "CA file %s: %s", ca_file, strerror(errno));
            SSL_CTX_free(ctx);
            return NULL;
        }
        if (ca_file && *ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            say(err, errlen, "CA file %s: %s", ca_file, ssl_reason("cannot load it"));
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    struct cnet_tls *t = calloc(1, sizeof *t);
    if (!t) {
        SSL_CTX_free(ctx);
        say(err, errlen, "TLS: out of memory");
        return NULL;
    }
    t->ctx = ctx;
    t->verify = verify;
    return t;
}

void cnet_tls_free(struct cnet_tls *t) {
    if (!t) return;
    SSL_CTX_free(t->ctx);
    free(t);
}

static int is_ip_literal(const char *host) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

// A non-blocking TCP connection to the first address of host:port that answers in time.
static int tcp_connect(const char *host, int port, int timeout_ms, char *err, size_t errlen) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) {
        say(err, errlen, "resolve %s: %s", host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    long long deadline = now_ms() + timeout_ms;
    int fd = -1;
    say(err, errlen, "connect %s:%d: no address", host, port);
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            say(err, errlen, "socket for %s:%d: %s", host, port, strerror(errno));
            continue;
        }
        int e = 0;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            e = errno;
            if (e == EINPROGRESS) {
                long long left = deadline - now_ms();
                int w = wait_fd(fd, POLLOUT, left > 0 ? (int)left : 0);
                if (w == 0) e = ETIMEDOUT;
                else if (w < 0) e = errno;
                else {
                    socklen_t len = sizeof e;
                    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) e = errno;
                }
            }
        }
        if (e == 0) break;
        say(err, errlen, "connect %s:%d: %s", host, port, e == ETIMEDOUT ? "timed out" : strerror(e));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

// Runs an SSL_* step until done, waiting on the socket as OpenSSL asks. Returns the SSL error
// code of the last attempt (SSL_ERROR_NONE on success); -2 on timeout.
static int ssl_step(struct cnet_conn *c, int (*step)(SSL *, void *, size_t, size_t *), void *buf, size_t len,
                    size_t *done) {
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = step(c->ssl, buf, len, done);
        if (r == 1) return SSL_ERROR_NONE;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, c->timeout_ms);
            if (w == 0) return -2;
            if (w < 0) return SSL_ERROR_SYSCALL;
            continue;
        }
        return e;
    }
}

static int handshake(SSL *ssl, void *buf, size_t len, size_t *done) {
    (void)buf; (void)len; (void)done;
    return SSL_connect(ssl);
}

struct cnet_conn *cnet_connect(const char *host, int port, struct cnet_tls *tls, int timeout_ms,
                               char *err, size_t errlen) {
    int fd = tcp_connect(host, port, timeout_ms, err, errlen);
    if (fd < 0) return NULL;
    struct cnet_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        say(err, errlen, "connect %s:%d: out of memory", host, port);
        return NULL;
    }
    c->fd = fd;
    c->timeout_ms = timeout_ms;
    if (!tls) return c;

    c->ssl = SSL_new(tls->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
        say(err, errlen, "TLS with %s:%d: %s", host, port, ssl_reason("SSL_new failed"));
        cnet_close(c);
        return NULL;
    }
    int ip = is_ip_literal(host);
    if (!ip) SSL_set_tlsext_host_name(c->ssl, host);  // SNI carries names only (RFC 6066)
    if (tls->verify) {
        SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) : SSL_set1_host(c->ssl, host);
        if (ok != 1) {
            say(err, errlen, "TLS with %s:%d: cannot set the name to verify", host, port);
            cnet_close(c);
            return NULL;
        }
    }
    int e = ssl_step(c, handshake, NULL, 0, NULL);
    if (e != SSL_ERROR_NONE) {
        long v = SSL_get_verify_result(c->ssl);
        if (e == -2) say(err, errlen, "TLS handshake with %s:%d: timed out", host, port);
        else if (tls->verify && v != X509_V_OK)
            say(err, errlen, "TLS handshake with %s:%d: certificate verify failed: %s", host, port,
                X509_verify_cert_error_string(v));
        else if (e == SSL_ERROR_SYSCALL)
            say(err, errlen, "TLS handshake with %s:%d: %s", host, port,
                errno ? strerror(errno) : "connection closed by the server");
        else
            say(err, errlen, "TLS handshake with %s:%d: %s", host, port, ssl_reason("failed"));
        cnet_close(c);
        return NULL;
    }
    return c;
}

static int tls_read(SSL *ssl, void *buf, size_t len, size_t *done) { return SSL_read_ex(ssl, buf, len, done); }
static int tls_write(SSL *ssl, void *buf, size_t len, size_t *done) { return SSL_write_ex(ssl, buf, len, done); }

ssize_t cnet_read(struct cnet_conn *c, void *buf, size_t len) {
    if (c->ssl) {
        size_t n = 0;
        int e = ssl_step(c, tls_read, buf, len, &n);
        if (e == SSL_ERROR_NONE) return (ssize_t)n;
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        if (e == -2) say(c->err, sizeof c->err, "read: timed out after %d ms", c->timeout_ms);
        else if (e == SSL_ERROR_SYSCALL && errno == 0) return 0;
        else if (e == SSL_ERROR_SYSCALL) say(c->err, sizeof c->err, "read: %s", strerror(errno));
        else say(c->err, sizeof c->err, "TLS read: %s", ssl_reason("failed"));
        return -1;
    }
    for (;;) {
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            say(c->err, sizeof c->err, "read: %s", strerror(errno));
            return -1;
        }
        int w = wait_fd(c->fd, POLLIN, c->timeout_ms);
        if (w == 0) {
            say(c->err, sizeof c->err, "read: timed out after %d ms", c->timeout_ms);
            return -1;
        }
        if (w < 0) {
            say(c->err, sizeof c->err, "poll: %s", strerror(errno));
            return -1;
        }
    }
}

int cnet_write(struct cnet_conn *c, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        if (c->ssl) {
            size_t n = 0;
            int e = ssl_step(c, tls_write, (void *)p, len, &n);
            if (e != SSL_ERROR_NONE) {
                if (e == -2) say(c->err, sizeof c->err, "write: timed out after %d ms", c->timeout_ms);
                else if (e == SSL_ERROR_SYSCALL) say(c->err, sizeof c->err, "write: %s", errno ? strerror(errno) : "connection closed");
                else say(c->err, sizeof c->err, "TLS write: %s", ssl_reason("failed"));
                return -1;
            }
            p += n;
            len -= n;
            continue;
        }
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            say(c->err, sizeof c->err, "write: %s", strerror(errno));
            return -1;
        }
        int w = wait_fd(c->fd, POLLOUT, c->timeout_ms);
        if (w <= 0) {
            say(c->err, sizeof c->err, "write: %s", w == 0 ? "timed out" : strerror(errno));
            return -1;
        }
    }
    return 0;
}

const char *cnet_error(struct cnet_conn *c) { return c->err; }

int cnet_idle(struct cnet_conn *c) {
    if (c->ssl && SSL_pending(c->ssl) > 0) return 0;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    // Readable means EOF, a reset or bytes nobody asked for: either way not reusable.
    return poll(&p, 1, 0) == 0;
}

void cnet_close(struct cnet_conn *c) {
    if (!c) return;
    if (c->ssl) SSL_free(c->ssl);
    if (c->fd >= 0) close(c->fd);
    free(c);
}
