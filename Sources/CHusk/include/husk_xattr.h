// Extended attributes for `husk sandbox --export-changes` (overlayfs marks opaque directories
// with trusted.overlay.opaque): <sys/xattr.h> is not part of Swift's Glibc module.
#ifndef HUSK_XATTR_H
#define HUSK_XATTR_H
#include <sys/types.h>
#include <sys/xattr.h>

/// lgetxattr(2): the attribute of `path` itself (symlinks not followed); -1 and errno on failure.
static inline ssize_t husk_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}
#endif
