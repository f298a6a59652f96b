// The only C in Sluice: calls Swift cannot make because their C declarations
// are variadic. Each function is a one-line, non-variadic forwarder.
#ifndef CSLUICE_SHIM_H
#define CSLUICE_SHIM_H

#include <sys/prctl.h>

/// Asks the kernel to send `signal` to the calling process when its parent
/// thread exits (prctl(2), PR_SET_PDEATHSIG). Returns 0 or -1 with errno set.
static inline int sluice_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

#endif
