/* SPDX-License-Identifier: MIT */
/** @file vigil.h @brief Umbrella header of the Vigil core. */
#ifndef VIGIL_H
#define VIGIL_H
#include "vg_ae_s8.h"
#include "vg_crc32.h"
#include "vg_decision.h"
#include "vg_dense.h"
#include "vg_detector.h"
#include "vg_features.h"
#include "vg_fixmath.h"
#include "vg_fft.h"
#include "vg_forest.h"
#include "vg_frontend.h"
#include "vg_iforest.h"
#include "vg_mathf.h"
#include "vg_model.h"
#include "vg_opts.h"
#include "vg_pq.h"
#include "vg_sos.h"
#include "vg_stats.h"
#include "vg_status.h"
#include "vg_tree_s16.h"
#endif
