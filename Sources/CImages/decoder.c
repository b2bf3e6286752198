// Streaming gzip (zlib, multi-member) and zstd (libzstd, multi-frame) readers over an fd.
#include "cimages.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

struct cimg_decoder {
    int fd, kind, eof, done;
    uint8_t in[65536];
    size_t in_len, in_pos;
    z_stream z;
    ZSTD_DStream *zs;
    char error[160];
};

struct cimg_decoder *cimg_decoder_open(int fd, int kind) {
    struct cimg_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->fd = fd;
    d->kind = kind;
    if (kind == 1 && inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) { free(d); return NULL; }
    if (kind == 2) {
        d->zs = ZSTD_createDStream();
        if (!d->zs) { free(d); return NULL; }
        ZSTD_initDStream(d->zs);
    }
    return d;
}

static int fill(struct cimg_decoder *d) {
    if (d->in_pos < d->in_len || d->eof) return 0;
    ssize_t n;
    do { n = read(d->fd, d->in, sizeof d->in); } while (n < 0 && errno == EINTR);
    if (n < 0) { snprintf(d->error, sizeof d->error, "read: %s", strerror(errno)); return -1; }
    if (n == 0) d->eof = 1;
    d->in_len = (size_t)n;
    d->in_pos = 0;
    return 0;
}

ssize_t cimg_decoder_read(struct cimg_decoder *d, void *buf, size_t len) {
    if (len == 0 || d->done) return 0;
    if (d->kind == 0) {
        ssize_t n;
        do { n = read(d->fd, buf, len); } while (n < 0 && errno == EINTR);
        if (n < 0) snprintf(d->error, sizeof d->error, "read: %s", strerror(errno));
        return n;
    }
    for (;;) {
        if (fill(d) < 0) return -1;
        size_t avail = d->in_len - d->in_pos;
        if (avail == 0 && d->eof) {
            if (d->kind == 1 && d->z.total_in == 0) { d->done = 1; return 0; }  // ended between members
            if (d->kind == 2 && d->zs == NULL) { d->done = 1; return 0; }
            snprintf(d->error, sizeof d->error, "%s: unexpected end of compressed data", d->kind == 1 ? "gzip" : "zstd");
            return -1;
        }
        if (d->kind == 1) {
            d->z.next_in = d->in + d->in_pos;
            d->z.avail_in = (uInt)avail;
            d->z.next_out = buf;
            d->z.avail_out = (uInt)(len > 1u << 30 ? 1u << 30 : len);
            int r = inflate(&d->z, Z_NO_FLUSH);
            d->in_pos = d->in_len - d->z.avail_in;
            size_t produced = (size_t)((uint8_t *)d->z.next_out - (uint8_t *)buf);
            if (r == Z_STREAM_END) {
                inflateReset(&d->z);  // another member may follow; total_in is 0 again
                if (produced) return (ssize_t)produced;
                continue;
            }
            if (r != Z_OK && r != Z_BUF_ERROR) {
                snprintf(d->error, sizeof d->error, "gzip: %s", d->z.msg ? d->z.msg : "corrupt data");
                return -1;
            }
            if (produced) return (ssize_t)produced;
        } else {
            if (!d->zs) { d->zs = ZSTD_createDStream(); ZSTD_initDStream(d->zs); }
            ZSTD_inBuffer in = {d->in + d->in_pos, avail, 0};
            ZSTD_outBuffer out = {buf, len, 0};
            size_t r = ZSTD_decompressStream(d->zs, &out, &in);
            d->in_pos += in.pos;
            if (ZSTD_isError(r)) {
                snprintf(d->error, sizeof d->error, "zstd: %s", ZSTD_getErrorName(r));
                return -1;
            }
            if (r == 0) { ZSTD_freeDStream(d->zs); d->zs = NULL; }  // frame done; another may follow
            if (out.pos) return (ssize_t)out.pos;
        }
    }
}

const char *cimg_decoder_error(struct cimg_decoder *d) { return d->error; }

void cimg_decoder_close(struct cimg_decoder *d) {
    if (!d) return;
    if (d->kind == 1) inflateEnd(&d->z);
    if (d->zs) ZSTD_freeDStream(d->zs);
    free(d);
}
