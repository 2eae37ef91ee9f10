#include "CSluiceCRDs.h"
#include <string.h>

// C23 `#embed` keeps the CRDs as they are in the repository (Sources/SluiceSpec/CRDs) and costs
// the compiler a fraction of a second; a Swift array literal of the same 1.3 MB took about a minute.
#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char flinkdeployments[] = {
#embed "../SluiceSpec/CRDs/flinkdeployments.flink.apache.org-v1.yml"
};
static const unsigned char flinksessionjobs[] = {
#embed "../SluiceSpec/CRDs/flinksessionjobs.flink.apache.org-v1.yml"
};
static const unsigned char flinkstatesnapshots[] = {
#embed "../SluiceSpec/CRDs/flinkstatesnapshots.flink.apache.org-v1.yml"
};
static const unsigned char flinkbluegreendeployments[] = {
#embed "../SluiceSpec/CRDs/flinkbluegreendeployments.flink.apache.org-v1.yml"
};

static const struct {
    const char *file;
    const unsigned char *bytes;
    size_t size;
} crds[] = {
    {"flinkdeployments.flink.apache.org-v1.yml", flinkdeployments, sizeof(flinkdeployments)},
    {"flinksessionjobs.flink.apache.org-v1.yml", flinksessionjobs, sizeof(flinksessionjobs)},
    {"flinkstatesnapshots.flink.apache.org-v1.yml", flinkstatesnapshots, sizeof(flinkstatesnapshots)},
    {"flinkbluegreendeployments.flink.apache.org-v1.yml", flinkbluegreendeployments, sizeof(flinkbluegreendeployments)},
};

const unsigned char *sluice_bundled_crd(const char *file, size_t *size) {
    for (size_t i = 0; i < sizeof(crds) / sizeof(crds[0]); i++) {
        if (strcmp(crds[i].file, file) == 0) {
            *size = crds[i].size;
            return crds[i].bytes;
        }
    }
    *size = 0;
    return NULL;
}
