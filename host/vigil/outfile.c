/* SPDX-License-Identifier: MIT */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Links followed before giving up with ELOOP, as Linux does (MAXSYMLINKS). */
#define OUTFILE_MAX_LINKS 40

static int outfile__fail(const char *path, int e, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e));
    return -1;
}

/* Every byte of @p buf to @p fd: write() may stop short (signals, pipes), and EINTR retries. */
static int outfile__write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The link's text, malloc'd, or NULL with errno. */
static char *outfile__readlink(const char *path, size_t hint)
{
    size_t cap = hint + 2u;
    for (;;) {
        char *s = malloc(cap);
        if (!s)
            return NULL;
        ssize_t n = readlink(path, s, cap);
        if (n < 0) {
            free(s);
            return NULL;
        }
        if ((size_t)n < cap) {
            s[n] = '\0';
            return s;
        }
        /* Cut short: the link changed since lstat. Try a larger buffer. */
        free(s);
        cap *= 2u;
    }
}

/*
 * The path @p path names once its symbolic links are followed, malloc'd; NULL with errno.
 * Only the last component is followed, link after link: a relative link is relative to the
 * directory of the link, and the result is the first name that is no link (or does not
 * exist: a dangling link names the file to create). Directories on the way are left as
 * written, so the temporary lands in the target's directory however it is reached.
 */
static char *outfile__resolve(const char *path)
{
    size_t pl = strlen(path);
    char *cur = malloc(pl + 1u);
    if (!cur)
        return NULL;
    memcpy(cur, path, pl + 1u);
    for (int hop = 0;; hop++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        if (hop == OUTFILE_MAX_LINKS) {
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        char *link = outfile__readlink(cur, (size_t)st.st_size);
        if (!link) {
            free(cur);
            return NULL;
        }
        if (link[0] == '/') {
            free(cur);
            cur = link;
            continue;
        }
        const char *slash = strrchr(cur, '/');
        size_t dl = slash ? (size_t)(slash - cur) + 1u : 0u, ll = strlen(link);
        char *next = malloc(dl + ll + 1u);
        if (next) {
            memcpy(next, cur, dl);
            memcpy(next + dl, link, ll + 1u);
        }
        free(link);
        free(cur);
        if (!next)
            return NULL;
        cur = next;
    }
}

/* Straight into what @p path names (FIFO, device, socket, or a file that cannot be replaced). */
static int outfile__direct(const char *path, int trunc, const void *buf, size_t len, char *err,
                           size_t errlen)
{
    int fd = open(path, O_WRONLY | O_NOCTTY | (trunc ? O_TRUNC : 0));
    if (fd < 0)
        return outfile__fail(path, errno, err, errlen);
    int e = outfile__write_all(fd, buf, len) == 0 ? 0 : errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    return e ? outfile__fail(path, e, err, errlen) : 0;
}

/*
 * A temporary next to @p target, then renamed over it: a reader sees the old file or the new
 * one, never a part. @p old is the file replaced, NULL when there is none.
 */
static int outfile__replace(const char *path, const char *target, const struct stat *old,
                            const void *buf, size_t len, char *err, size_t errlen)
{
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t dl = (size_t)(base - target), bl = strlen(base);
    char *tmp = malloc(dl + bl + sizeof "..XXXXXX");
    if (!tmp)
        return outfile__fail(path, ENOMEM, err, errlen);
    memcpy(tmp, target, dl);
    snprintf(tmp + dl, bl + sizeof "..XXXXXX", ".%s.XXXXXX", base);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return outfile__fail(path, e, err, errlen);
    }
    /* mkstemp makes 0600. A new file gets what open(O_CREAT, 0666) would give it; a replaced
     * one keeps its permissions (not its owner: that needs privileges). */
    mode_t mode;
    if (old) {
        mode = old->st_mode & 0777;
    } else {
        mode = umask(0);
        umask(mode);
        mode = 0666 & ~mode;
    }
    int e = 0;
    if (fchmod(fd, mode) != 0 || outfile__write_all(fd, buf, len) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, target) != 0)
        e = errno;
    if (e != 0)
        unlink(tmp);
    free(tmp);
    return e ? outfile__fail(path, e, err, errlen) : 0;
}

int vgh_write_file(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        return outfile__fail(path, errno, err, errlen);
    if (exists && !S_ISREG(st.st_mode))
        return outfile__direct(path, 0, buf, len, err, errlen);
    char *target = outfile__resolve(path);
    if (!target)
        return outfile__fail(path, errno, err, errlen);
    int rc;
    struct stat ts;
    if (exists && (lstat(target, &ts) != 0 || ts.st_dev != st.st_dev || ts.st_ino != st.st_ino))
        /* The link does not name its file (/proc/self/fd/N of a deleted file): write into
         * the file itself rather than create one under that name. */
        rc = outfile__direct(path, 1, buf, len, err, errlen);
    else
        rc = outfile__replace(path, target, exists ? &st : NULL, buf, len, err, errlen);
    free(target);
    return rc;
}
