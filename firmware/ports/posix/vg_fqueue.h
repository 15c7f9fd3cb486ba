/* SPDX-License-Identifier: MIT */
/**
 * @file vg_fqueue.h
 * @brief The POSIX port's persistent queue: a bounded FIFO of records in one file, kept in
 *        order across restarts (docs/fleet.md, "The queue").
 *
 * File: a 16-byte header ("VGQ1", 4 reserved bytes, the head offset as u64 little-endian),
 * then records, each u32 length, the bytes, and their CRC-32. A push appends a record and
 * syncs; a pop advances the head offset in the header and syncs; when the queue becomes empty
 * the file is cut back to its header, and a head past 1 MiB is compacted away. On opening,
 * the records from the head are checked (length, CRC) and the file is cut at the first one
 * that fails (a push the machine did not finish).
 *
 * Thread safety: one queue object per thread; one process per file.
 */
#ifndef VGP_FQUEUE_H
#define VGP_FQUEUE_H
#include <stddef.h>
#include <stdint.h>

/** Largest record, bytes. */
#define VGP_FQUEUE_MAX_RECORD 65536u

typedef struct {
    int fd;
    char path[4096];
    uint32_t max, count;
    uint64_t head, end;
    uint32_t discarded; /* records cut off at open (torn write, corruption) */
} vgp_fqueue_t;

/**
 * @brief Open (or create) the queue file.
 * @param[in] max records the queue holds (pushes beyond are refused); >= 1
 * @retval 0 ok; -1 with a message naming the file (cannot create, not a queue file)
 */
int vgp_fqueue_open(vgp_fqueue_t *q, const char *path, uint32_t max, char *err, size_t errlen);
/** @retval 0 appended; 1 the queue is full; -1 write error or record too large */
int vgp_fqueue_push(vgp_fqueue_t *q, const void *rec, size_t len);
/** @retval 0 the oldest record copied; 1 empty; -1 it does not fit in @p cap, or read error */
int vgp_fqueue_peek(vgp_fqueue_t *q, void *buf, size_t cap, size_t *len);
/** @retval 0 removed the oldest; 1 empty; -1 write error */
int vgp_fqueue_pop(vgp_fqueue_t *q);
uint32_t vgp_fqueue_count(const vgp_fqueue_t *q);
void vgp_fqueue_close(vgp_fqueue_t *q);
#endif
