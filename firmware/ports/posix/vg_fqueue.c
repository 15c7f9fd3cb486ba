/* SPDX-License-Identifier: MIT */
#include "vg_fqueue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "vigil/vg_crc32.h"

#define FQ_HEADER  16u
#define FQ_COMPACT (1u << 20)

static void fq__le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t fq__rd32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int fq__pread(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int fq__pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = pwrite(fd, (const uint8_t *)buf + put, n - put, (off_t)(off + put));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        put += (size_t)r;
    }
    return 0;
}

static int fq__header(int fd, uint64_t head)
{
    uint8_t h[FQ_HEADER] = {'V', 'G', 'Q', '1', 0, 0, 0, 0};
    fq__le32(h + 8, (uint32_t)head);
    fq__le32(h + 12, (uint32_t)(head >> 32));
    return fq__pwrite(fd, h, sizeof h, 0);
}

/* Check the record at off; its total size in *size. 0 valid, -1 not. */
static int fq__check(int fd, uint64_t off, uint64_t file_end, uint64_t *size)
{
    uint8_t b[4];
    if (off + 8 > file_end || fq__pread(fd, b, 4, off) != 0)
        return -1;
    uint32_t len = fq__rd32(b);
    if (len == 0 || len > VGP_FQUEUE_MAX_RECORD || off + 8 + len > file_end)
        return -1;
    uint8_t rec[VGP_FQUEUE_MAX_RECORD + 4];
    if (fq__pread(fd, rec, (size_t)len + 4, off + 4) != 0)
        return -1;
    if (vg_crc32(0, rec, len) != fq__rd32(rec + len))
        return -1;
    *size = 8u + len;
    return 0;
}

int vgp_fqueue_open(vgp_fqueue_t *q, const char *path, uint32_t max, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    q->fd = -1;
    if (strlen(path) >= sizeof q->path) {
        vgh_errf(err, errlen, "%s: path too long", path);
        return -1;
    }
    snprintf(q->path, sizeof q->path, "%s", path);
    q->max = max ? max : 1;
    q->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (q->fd < 0) {
        vgh_errf(err, errlen, "%s: cannot open the queue file: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(q->fd, &st) != 0) {
        vgh_errf(err, errlen, "%s: %s", path, strerror(errno));
        vgp_fqueue_close(q);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < FQ_HEADER) {
        if (size != 0) {
            vgh_errf(err, errlen, "%s: not a Vigil queue file (%llu bytes)", path,
                     (unsigned long long)size);
            vgp_fqueue_close(q);
            return -1;
        }
        if (fq__header(q->fd, FQ_HEADER) != 0 || fdatasync(q->fd) != 0) {
            vgh_errf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
            vgp_fqueue_close(q);
            return -1;
        }
        q->head = q->end = FQ_HEADER;
        return 0;
    }
    uint8_t h[FQ_HEADER];
    if (fq__pread(q->fd, h, sizeof h, 0) != 0 || memcmp(h, "VGQ1", 4) != 0) {
        vgh_errf(err, errlen, "%s: not a Vigil queue file (no VGQ1 header)", path);
        vgp_fqueue_close(q);
        return -1;
    }
    q->head = (uint64_t)fq__rd32(h + 8) | (uint64_t)fq__rd32(h + 12) << 32;
    if (q->head < FQ_HEADER || q->head > size) {
        vgh_errf(err, errlen, "%s: corrupt queue file (head at %llu of %llu bytes)", path,
                 (unsigned long long)q->head, (unsigned long long)size);
        vgp_fqueue_close(q);
        return -1;
    }
    uint64_t off = q->head, rs;
    while (off < size && fq__check(q->fd, off, size, &rs) == 0) {
        off += rs;
        q->count++;
    }
    if (off < size) {
        /* A torn or corrupt tail: what follows cannot be trusted. Count what is cut. */
        q->discarded = 1;
        if (ftruncate(q->fd, (off_t)off) != 0) {
            vgh_errf(err, errlen, "%s: cannot cut a torn record: %s", path, strerror(errno));
            vgp_fqueue_close(q);
            return -1;
        }
    }
    q->end = off;
    return 0;
}

int vgp_fqueue_push(vgp_fqueue_t *q, const void *rec, size_t len)
{
    if (len == 0 || len > VGP_FQUEUE_MAX_RECORD)
        return -1;
    if (q->count >= q->max)
        return 1;
    uint8_t b[4];
    fq__le32(b, (uint32_t)len);
    uint8_t c[4];
    fq__le32(c, vg_crc32(0, rec, len));
    if (fq__pwrite(q->fd, b, 4, q->end) != 0 || fq__pwrite(q->fd, rec, len, q->end + 4) != 0 ||
        fq__pwrite(q->fd, c, 4, q->end + 4 + len) != 0 || fdatasync(q->fd) != 0) {
        /* leave the file as it was: the torn bytes are past the end we know */
        if (ftruncate(q->fd, (off_t)q->end) != 0) {
            /* nothing more to do: the open-time check cuts it */
        }
        return -1;
    }
    q->end += 8u + len;
    q->count++;
    return 0;
}

int vgp_fqueue_peek(vgp_fqueue_t *q, void *buf, size_t cap, size_t *len)
{
    if (q->count == 0)
        return 1;
    uint8_t b[4];
    if (fq__pread(q->fd, b, 4, q->head) != 0)
        return -1;
    uint32_t n = fq__rd32(b);
    if (n > cap || fq__pread(q->fd, buf, n, q->head + 4) != 0)
        return -1;
    *len = n;
    return 0;
}

/* Move the records after the head to the front of a fresh file, atomically (rename). */
static int fq__compact(vgp_fqueue_t *q)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", q->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int ok = fq__header(fd, FQ_HEADER) == 0;
    uint8_t b[65536];
    for (uint64_t off = q->head; ok && off < q->end;) {
        size_t n = (size_t)(q->end - off < sizeof b ? q->end - off : sizeof b);
        ok = fq__pread(q->fd, b, n, off) == 0 &&
             fq__pwrite(fd, b, n, FQ_HEADER + (off - q->head)) == 0;
        off += n;
    }
    ok = ok && fsync(fd) == 0 && rename(tmp, q->path) == 0;
    if (!ok) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(q->fd);
    q->fd = fd;
    q->end = FQ_HEADER + (q->end - q->head);
    q->head = FQ_HEADER;
    return 0;
}

int vgp_fqueue_pop(vgp_fqueue_t *q)
{
    if (q->count == 0)
        return 1;
    uint8_t b[4];
    if (fq__pread(q->fd, b, 4, q->head) != 0)
        return -1;
    q->head += 8u + fq__rd32(b);
    q->count--;
    if (q->count == 0) {
        q->head = q->end = FQ_HEADER;
        if (fq__header(q->fd, q->head) != 0 || ftruncate(q->fd, FQ_HEADER) != 0)
            return -1;
    } else if (fq__header(q->fd, q->head) != 0) {
        return -1;
    }
    if (fdatasync(q->fd) != 0)
        return -1;
    if (q->head > FQ_COMPACT)
        return fq__compact(q);
    return 0;
}

uint32_t vgp_fqueue_count(const vgp_fqueue_t *q)
{
    return q->count;
}

void vgp_fqueue_close(vgp_fqueue_t *q)
{
    if (q->fd >= 0)
        close(q->fd);
    q->fd = -1;
}
