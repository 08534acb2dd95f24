// SPDX-License-Identifier: GPL-2.0
/*
 * The names of the module's strategies (see strategies.h).
 */
#include "strategies.h"

#define NAME(arg, upper, lower)	[CP_##upper] = #lower,

const char * const cp_strategy_names[CP_NR_STRATEGIES] = {
	CP_STRATEGIES(NAME, _)
};
