// tally/tally.hpp — the umbrella header: every core metric (adapters are separate headers).
// SPDX-License-Identifier: MIT
//
// The umbrella header: every core metric. Optional adapters (format.hpp for fmt, mpi.hpp,
// torch.hpp) are included separately.
#ifndef TALLY_TALLY_HPP
#define TALLY_TALLY_HPP

#include "agreement.hpp"
#include "calibration.hpp"
#include "classification.hpp"
#include "confusion_matrix.hpp"
#include "error.hpp"
#include "exact_match.hpp"
#include "isa.hpp"
#include "options.hpp"
#include "ranking.hpp"
#include "result.hpp"
#include "segmentation.hpp"
#include "stat_scores.hpp"
#include "tensor_view.hpp"
#include "thresholds.hpp"
#include "version.hpp"

#endif  // TALLY_TALLY_HPP
