// The network transport of husk pull: a TCP connection with timeouts (getaddrinfo, non-blocking
// connect, poll) and TLS through the system OpenSSL (linked statically into the release binary).
// Kept in C because OpenSSL's API is macro-heavy and its non-blocking read/write loop is clearer here.
#ifndef CNET_H
#define CNET_H

#include <stddef.h>
#include <sys/types.h>

// A connection: plain TCP or TLS over TCP. Every call that blocks waits at most timeout_ms
// for progress and then fails with "timed out".
struct cnet_conn;

// TLS settings shared by the connections of one pull: verify (1) or not (0), an extra CA file (PEM)
// trusted besides the system store (SSL_CERT_FILE / SSL_CERT_DIR / OpenSSL's default paths).
struct cnet_tls;
struct cnet_tls *cnet_tls_new(int verify, const char *ca_file, char *err, size_t errlen);
void cnet_tls_free(struct cnet_tls *t);

// Connects to host:port (tls may be NULL for plain TCP; SNI and the hostname check use host).
// Returns NULL with a message in err ("connect 127.0.0.1:5000: Connection refused",
// "TLS handshake with host:443: certificate verify failed: self-signed certificate").
struct cnet_conn *cnet_connect(const char *host, int port, struct cnet_tls *tls, int timeout_ms,
                               char *err, size_t errlen);
// Reads up to len bytes: > 0 read, 0 the peer closed, -1 error (message in cnet_error).
ssize_t cnet_read(struct cnet_conn *c, void *buf, size_t len);
// Writes all of buf: 0, or -1 on error (message in cnet_error).
int cnet_write(struct cnet_conn *c, const void *buf, size_t len);
const char *cnet_error(struct cnet_conn *c);
// 1 when an idle connection is still open with nothing to read (fit for reuse), else 0.
int cnet_idle(struct cnet_conn *c);
void cnet_close(struct cnet_conn *c);

#endif
