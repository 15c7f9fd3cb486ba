/* SPDX-License-Identifier: MIT */
/*
 * qemu-icount: a QEMU TCG plugin that counts the guest instructions executed between two
 * marker addresses (the entries of vg_bench_begin() and vg_bench_end() in an image).
 *
 *   qemu-system-arm ... -plugin BUILD/qemu-icount.so,begin=0xADDR,end=0xADDR,out=FILE
 *
 * Every translated instruction gets an inline 64-bit add (no helper call), so the count is
 * exact and the same on every run whatever the host's load: it counts instructions, not
 * time. The two marker instructions also get a callback: at `begin` the running count is
 * remembered, at `end` the difference is one measured span. A span is the instructions
 * from vg_bench_begin's first instruction up to, not including, vg_bench_end's first one
 * (so it includes vg_bench_begin's return and the call of vg_bench_end: 2 or 3 marker
 * instructions, see docs/mcu.md). At exit the plugin writes one line to FILE (or through
 * qemu_plugin_outs, shown with `-d plugin`):
 *
 *   icount spans N total T min A max B first F all A0
 *
 * With hist=FILE (a profiling aid, not used by the tests) it also writes "PC COUNT" lines:
 * how often each instruction ran inside spans (a callback per instruction, so slower).
 *
 * Debian's QEMU 7.2 ships no qemu-plugin.h, so the few declarations of the plugin API
 * (version 1, docs/devel/tcg-plugins.rst of QEMU 7.2) this file uses are written here.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU plugin API, version 1 (the subset used) ---- */
#define VG_QP_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
VG_QP_EXPORT extern int qemu_plugin_version;
VG_QP_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                     char **argv);
/* ---- end of the API ---- */

VG_QP_EXPORT int qemu_plugin_version = 1;

/* One guest CPU (the images are single-core), so plain counters suffice. */
static struct {
    uint64_t begin, end; /* marker addresses (Thumb bit cleared) */
    uint64_t count;      /* instructions executed so far */
    uint64_t start;      /* count at the last begin */
    int open;            /* a begin without its end yet */
    uint64_t spans, total, min, max, first;
    char out[4096];
    char hist[4096]; /* hist=FILE, or empty */
} icount;

/* hist=FILE: one slot per instruction address, open addressing (images are small). */
#define ICOUNT_HIST_SLOTS 65536u
typedef struct {
    uint64_t pc, n;
    int used;
} icount_slot_t;
static icount_slot_t *icount_hist;

static icount_slot_t *icount__slot(uint64_t pc)
{
    uint32_t h = (uint32_t)(pc * 2654435761u) & (ICOUNT_HIST_SLOTS - 1u);
    for (uint32_t k = 0; k < ICOUNT_HIST_SLOTS; k++, h = (h + 1u) & (ICOUNT_HIST_SLOTS - 1u)) {
        if (!icount_hist[h].used) {
            icount_hist[h].used = 1;
            icount_hist[h].pc = pc;
            return &icount_hist[h];
        }
        if (icount_hist[h].pc == pc)
            return &icount_hist[h];
    }
    return NULL; /* full: that instruction goes uncounted in the histogram */
}

static void icount__hist(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    if (icount.open)
        ((icount_slot_t *)udata)->n++;
}

static void icount__begin(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    icount.start = icount.count;
    icount.open = 1;
}

static void icount__end(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (!icount.open)
        return;
    uint64_t n = icount.count - icount.start;
    if (icount.spans == 0) {
        icount.min = icount.max = icount.first = n;
    }
    if (n < icount.min)
        icount.min = n;
    if (n > icount.max)
        icount.max = n;
    icount.total += n;
    icount.spans++;
    icount.open = 0;
}

static void icount__trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        /* The count first, so a marker's callback sees its own instruction counted; both
         * markers are treated alike, so spans do not depend on the order anyway. */
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &icount.count,
                                                   1);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        icount_slot_t *slot = icount_hist ? icount__slot(pc) : NULL;
        if (slot)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, icount__hist, QEMU_PLUGIN_CB_NO_REGS,
                                                   slot);
        if (pc == icount.begin)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, icount__begin, QEMU_PLUGIN_CB_NO_REGS,
                                                   NULL);
        else if (pc == icount.end)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, icount__end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void icount__exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    char line[256];
    snprintf(line, sizeof line,
             "icount spans %" PRIu64 " total %" PRIu64 " min %" PRIu64 " max %" PRIu64
             " first %" PRIu64 " all %" PRIu64 "\n",
             icount.spans, icount.total, icount.min, icount.max, icount.first, icount.count);
    FILE *f = icount.out[0] ? fopen(icount.out, "w") : NULL;
    if (f) {
        fputs(line, f);
        fclose(f);
    } else {
        qemu_plugin_outs(line);
    }
    FILE *h = icount_hist && icount.hist[0] ? fopen(icount.hist, "w") : NULL;
    if (h) {
        for (uint32_t k = 0; k < ICOUNT_HIST_SLOTS; k++)
            if (icount_hist[k].used && icount_hist[k].n)
                fprintf(h, "0x%" PRIx64 " %" PRIu64 "\n", icount_hist[k].pc, icount_hist[k].n);
        fclose(h);
    }
}

static int icount__addr(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end != '\0')
        return -1;
    *out = (uint64_t)v & ~(uint64_t)1; /* Thumb symbols carry bit 0; instructions do not */
    return 0;
}

VG_QP_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                     char **argv)
{
    (void)info;
    memset(&icount, 0, sizeof icount);
    int have_begin = 0, have_end = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "begin=", 6) == 0 && icount__addr(a + 6, &icount.begin) == 0)
            have_begin = 1;
        else if (strncmp(a, "end=", 4) == 0 && icount__addr(a + 4, &icount.end) == 0)
            have_end = 1;
        else if (strncmp(a, "out=", 4) == 0 && strlen(a + 4) < sizeof icount.out)
            strcpy(icount.out, a + 4);
        else if (strncmp(a, "hist=", 5) == 0 && strlen(a + 5) < sizeof icount.hist)
            strcpy(icount.hist, a + 5);
        else {
            fprintf(stderr,
                    "qemu-icount: bad argument '%s' (begin=ADDR,end=ADDR[,out=FILE][,hist=FILE])\n",
                    a);
            return -1;
        }
    }
    if (!have_begin || !have_end) {
        fprintf(stderr, "qemu-icount: need begin=ADDR and end=ADDR\n");
        return -1;
    }
    if (icount.hist[0]) {
        icount_hist = calloc(ICOUNT_HIST_SLOTS, sizeof *icount_hist);
        if (!icount_hist) {
            fprintf(stderr, "qemu-icount: out of memory for hist=\n");
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, icount__trans);
    qemu_plugin_register_atexit_cb(id, icount__exit, NULL);
    return 0;
}
