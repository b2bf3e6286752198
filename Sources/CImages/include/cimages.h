// The C side of the Images module: SHA-256, streaming gzip/zstd decompression (zlib, libzstd)
// and the Linux calls Swift's Glibc module does not expose (openat2 with RESOLVE_* flags).
#ifndef CIMAGES_H
#define CIMAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// SHA-256 (FIPS 180-4), incremental.
struct cimg_sha256 {
    uint32_t state[8];
    uint64_t length;
    uint8_t buffer[64];
    size_t used;
};
void cimg_sha256_init(struct cimg_sha256 *c);
void cimg_sha256_update(struct cimg_sha256 *c, const void *data, size_t len);
void cimg_sha256_final(struct cimg_sha256 *c, uint8_t out[32]);
// Use the CPU's SHA extensions when it has them (the default), or the portable code (tests
// compare the two); returns whether they are used now.
int cimg_sha256_accelerate(int on);

// A decompressing reader over an fd. kind: 0 none, 1 gzip, 2 zstd.
struct cimg_decoder;
struct cimg_decoder *cimg_decoder_open(int fd, int kind);
// Reads up to len decompressed bytes; 0 at the end of the stream, -1 on error (message set).
ssize_t cimg_decoder_read(struct cimg_decoder *d, void *buf, size_t len);
const char *cimg_decoder_error(struct cimg_decoder *d);
void cimg_decoder_close(struct cimg_decoder *d);

// openat2(dirfd, path, flags, mode, resolve) with RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|
// RESOLVE_NO_MAGICLINKS: `path` is resolved inside dirfd and no symlink is followed.
// Returns an fd or -errno.
int cimg_open_in_root(int dirfd, const char *path, int flags, mode_t mode);
// Like cimg_open_in_root, but symlinks are followed, inside dirfd only (reading an image layout).
int cimg_open_contained(int dirfd, const char *path, int flags);
// O_PATH, O_DIRECTORY, O_NOFOLLOW and friends Swift does not name.
int cimg_o_path(void);
int cimg_o_nofollow(void);
int cimg_o_directory(void);
int cimg_at_symlink_nofollow(void);
int cimg_at_removedir(void);
int cimg_at_empty_path(void);
// fchownat(fd, "", uid, gid, AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW) etc. work on O_PATH fds.
int cimg_mknodat(int dirfd, const char *name, mode_t mode, unsigned major, unsigned minor);
// Sets an xattr on the object at dirfd/name without following a symlink (via /proc/self/fd).
int cimg_lsetxattr_at(int dirfd, const char *name, const char *key, const void *value, size_t len);
// utimensat with nanoseconds, not following symlinks.
int cimg_set_mtime(int dirfd, const char *name, int64_t sec, long nsec);

#endif
