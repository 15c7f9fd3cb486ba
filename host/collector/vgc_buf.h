/* SPDX-License-Identifier: MIT */
/**
 * @file vgc_buf.h
 * @brief A growable text buffer for JSON answers. Out of memory is sticky: later appends do
 *        nothing and vgc_buf_ok() says so, so builders check once at the end.
 */
#ifndef VGC_BUF_H
#define VGC_BUF_H
#include <stddef.h>

typedef struct {
    char *p;    /**< NUL-terminated text (NULL until the first append) */
    size_t len; /**< bytes before the NUL */
    size_t cap;
    int oom; /**< 1 after a failed allocation */
} vgc_buf_t;

/** @brief Append @p n bytes of @p s. */
void vgc_buf_add(vgc_buf_t *b, const char *s, size_t n);
/** @brief Append a NUL-terminated string. */
void vgc_buf_puts(vgc_buf_t *b, const char *s);
/** @brief Append printf output. */
void vgc_buf_printf(vgc_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** @brief Append @p s as a quoted JSON string (control characters escaped). */
void vgc_buf_json_str(vgc_buf_t *b, const char *s);
/** @brief 1 when every append succeeded. */
int vgc_buf_ok(const vgc_buf_t *b);
/** @brief Free the text and reset to empty. */
void vgc_buf_free(vgc_buf_t *b);
#endif
