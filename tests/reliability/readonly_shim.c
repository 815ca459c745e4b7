/* Fault injection for tests: while the file named by FAULT_RO_FLAG exists, every attempt to change a
 * file under FAULT_RO_DIR fails with EROFS, as on a filesystem remounted read-only under the process.
 * Loaded with LD_PRELOAD into the server under test only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int faulty(void) {
    const char *flag = getenv("FAULT_RO_FLAG");
    return flag && access(flag, F_OK) == 0;
}

static int under(const char *path) {
    const char *dir = getenv("FAULT_RO_DIR");
    if (!dir || !path) return 0;
    char real[PATH_MAX];
    const char *p = path;
    if (path[0] != '/') {
        if (!getcwd(real, sizeof real)) return 0;
        size_t n = strlen(real);
        snprintf(real + n, sizeof real - n, "/%s", path);
        p = real;
    }
    size_t len = strlen(dir);
    return strncmp(p, dir, len) == 0 && (p[len] == '/' || p[len] == '\0');
}

static int fd_under(int fd) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = '\0';
    return under(target);
}

#define REFUSE_FD(fd, ret) do { if (faulty() && fd_under(fd)) { errno = EROFS; return ret; } } while (0)
#define NEXT(name) static __typeof__(name) *next; if (!next) next = dlsym(RTLD_NEXT, #name)

static int writes(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0; }

int open(const char *path, int flags, ...) {
    NEXT(open);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    if (writes(flags) && faulty() && under(path)) { errno = EROFS; return -1; }
    return next(path, flags, mode);
}
int open64(const char *path, int flags, ...) {
    NEXT(open64);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    if (writes(flags) && faulty() && under(path)) { errno = EROFS; return -1; }
    return next(path, flags, mode);
}
int openat(int dirfd, const char *path, int flags, ...) {
    NEXT(openat);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    if (writes(flags) && faulty() && under(path)) { errno = EROFS; return -1; }
    return next(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) {
    NEXT(openat64);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    if (writes(flags) && faulty() && under(path)) { errno = EROFS; return -1; }
    return next(dirfd, path, flags, mode);
}
ssize_t write(int fd, const void *buf, size_t n) { NEXT(write); REFUSE_FD(fd, -1); return next(fd, buf, n); }
ssize_t pwrite(int fd, const void *buf, size_t n, off_t at) { NEXT(pwrite); REFUSE_FD(fd, -1); return next(fd, buf, n, at); }
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t at) { NEXT(pwrite64); REFUSE_FD(fd, -1); return next(fd, buf, n, at); }
ssize_t writev(int fd, const struct iovec *v, int c) { NEXT(writev); REFUSE_FD(fd, -1); return next(fd, v, c); }
ssize_t pwritev(int fd, const struct iovec *v, int c, off_t at) { NEXT(pwritev); REFUSE_FD(fd, -1); return next(fd, v, c, at); }
int ftruncate(int fd, off_t len) { NEXT(ftruncate); REFUSE_FD(fd, -1); return next(fd, len); }
int ftruncate64(int fd, off64_t len) { NEXT(ftruncate64); REFUSE_FD(fd, -1); return next(fd, len); }
int fallocate(int fd, int mode, off_t at, off_t len) { NEXT(fallocate); REFUSE_FD(fd, -1); return next(fd, mode, at, len); }
int posix_fallocate(int fd, off_t at, off_t len) { NEXT(posix_fallocate); if (faulty() && fd_under(fd)) return EROFS; return next(fd, at, len); }
int fsync(int fd) { NEXT(fsync); REFUSE_FD(fd, -1); return next(fd); }
int fdatasync(int fd) { NEXT(fdatasync); REFUSE_FD(fd, -1); return next(fd); }
int unlink(const char *path) { NEXT(unlink); if (faulty() && under(path)) { errno = EROFS; return -1; } return next(path); }
int unlinkat(int dirfd, const char *path, int flags) { NEXT(unlinkat); if (faulty() && under(path)) { errno = EROFS; return -1; } return next(dirfd, path, flags); }
int rename(const char *a, const char *b) { NEXT(rename); if (faulty() && (under(a) || under(b))) { errno = EROFS; return -1; } return next(a, b); }
