#include "hark_apm.h"

extern "C" int hark_apm_placeholder(void) { return 0; }
