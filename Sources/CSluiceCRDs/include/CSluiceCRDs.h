#ifndef CSLUICE_CRDS_H
#define CSLUICE_CRDS_H

#include <stddef.h>

/// The bytes of the JSON form of one bundled CRD (Sources/SluiceSpec/CRDs, `<name>.json`), or NULL for a file name Sluice does not bundle.
/// The bytes are part of the binary: no resource bundle to find at run time, and no Foundation `Bundle`
/// in the modules the runtime agent links.
const unsigned char *sluice_bundled_crd(const char *file, size_t *size);

#endif
