/* SPDX-License-Identifier: MIT */
/**
 * @file vg_json.h
 * @brief JSON writer into a caller's buffer: no allocation, no stdio, bounded. Writes compact
 *        JSON (no blanks); commas are inserted automatically. When the buffer is too small the
 *        writer stops writing and remembers it (vg_jw_finish() then fails): a message is either
 *        complete or refused, never cut.
 *
 * Numbers: integers exactly; floating point with a given count of significant digits, in
 * plain notation for magnitudes in [1e-5, 1e15) and with an exponent otherwise; NaN and
 * infinities (which JSON cannot hold) are written as null.
 *
 * Thread safety: one writer per thread; no shared state.
 */
#ifndef VG_JSON_H
#define VG_JSON_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vg_status.h"

/** Deepest nesting of objects and arrays the writer tracks. */
#define VG_JW_MAX_DEPTH 8

/** Writer state; fields are private (use the functions). */
typedef struct {
    char *buf;
    size_t cap, len;
    uint8_t overflow;               /* something did not fit */
    uint8_t bad;                    /* misuse: nesting too deep, unbalanced */
    uint8_t depth;                  /* open containers */
    uint8_t after_key;              /* a key was written, its value is next */
    uint8_t first[VG_JW_MAX_DEPTH]; /* 1 while a container has no element yet */
    char close[VG_JW_MAX_DEPTH];    /* the bracket that closes each open container */
} vg_jw_t;

/**
 * @brief Start writing into @p buf.
 * @param[out] w   writer
 * @param[out] buf destination; on success holds a NUL-terminated document
 * @param[in]  cap bytes of @p buf (the terminating NUL included)
 */
void vg_jw_init(vg_jw_t *w, char *buf, size_t cap);

/** @brief Open an object / array (as a value: after a key, in an array, or at top level). */
void vg_jw_obj(vg_jw_t *w);
void vg_jw_arr(vg_jw_t *w);
/** @brief Close the innermost object / array. */
void vg_jw_end(vg_jw_t *w);

/** @brief Write a member name (NUL-terminated, escaped as needed) inside an object. */
void vg_jw_key(vg_jw_t *w, const char *key);

/** @brief String value (NUL-terminated; NULL writes null). Escapes quotes, backslashes and
 *         control characters; other bytes (UTF-8) are copied. */
void vg_jw_str(vg_jw_t *w, const char *s);
/** @brief String value of @p n bytes (no terminator needed). */
void vg_jw_strn(vg_jw_t *w, const char *s, size_t n);
/** @brief Integer values. */
void vg_jw_int(vg_jw_t *w, int64_t v);
void vg_jw_uint(vg_jw_t *w, uint64_t v);
/** @brief Number with @p sig significant digits (1-17); null for NaN and infinities. */
void vg_jw_num(vg_jw_t *w, double v, unsigned sig);
/** @brief true / false / null. */
void vg_jw_bool(vg_jw_t *w, int v);
void vg_jw_null(vg_jw_t *w);
/** @brief Literal JSON text, copied as it is (the caller vouches for it). */
void vg_jw_raw(vg_jw_t *w, const char *json);

/**
 * @brief End the document.
 * @param[out] len NULL, or the document length in bytes (without the NUL)
 * @retval VG_OK       a complete document is in the buffer
 * @retval VG_ERR_SIZE it did not fit
 * @retval VG_ERR_ARG  unbalanced containers or nesting deeper than VG_JW_MAX_DEPTH
 */
vg_status_t vg_jw_finish(vg_jw_t *w, size_t *len);

/**
 * @brief Format @p v with @p sig significant digits as vg_jw_num() does ("null" for
 *        non-finite), NUL-terminated.
 * @return characters written (without the NUL), or 0 when @p cap is too small (32 suffices)
 */
size_t vg_json_fmt_num(char *out, size_t cap, double v, unsigned sig);
#endif
