/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_csv.c
 * @brief libFuzzer target for the CSV reader: open the input with vgh_csv_open_mem(),
 *        read every row, every cell, parse every cell as a number, close.
 *
 * Fuzz (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ihost/vigil tests/fuzz/fuzz_csv.c \
 *         host/vigil/csv.c -o fuzz_csv && ./fuzz_csv WORKDIR tests/fuzz/corpus/csv
 * Replay the corpus without libFuzzer (CI): link with tests/fuzz/replay_main.c
 *   gcc -std=c11 -fsanitize=address,undefined -Ihost/vigil tests/fuzz/fuzz_csv.c \
 *       tests/fuzz/replay_main.c host/vigil/csv.c -o replay_csv && \
 *       ./replay_csv tests/fuzz/corpus/csv
 */
#include "csv.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** @brief libFuzzer entry point: must never crash, leak or read out of bounds. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    vgh_csv_t *c = vgh_csv_open_mem((const char *)data, size, "fuzz.csv", err, sizeof err);
    if (c == NULL)
        return 0;
    size_t n = vgh_csv_ncols(c);
    for (size_t i = 0; i < n; i++)
        (void)vgh_csv_find(c, vgh_csv_colname(c, i));
    int r;
    size_t nerr = 0;
    /* A failing row is skipped and reading continues to end of input. Each skipped error
     * consumes a line (at most size + 1 of them); more means an error that repeats. */
    while ((r = vgh_csv_next(c, err, sizeof err)) != 0) {
        if (r < 0) {
            if (++nerr > size + 1)
                break;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const char *cell = vgh_csv_cell(c, i);
            double v;
            if (cell == NULL)
                abort();
            (void)strlen(cell);
            (void)vgh_csv_number(c, i, &v, err, sizeof err);
        }
        (void)vgh_csv_line(c);
    }
    vgh_csv_close(c);
    return 0;
}
