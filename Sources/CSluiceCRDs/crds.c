#include "CSluiceCRDs.h"
#include <string.h>

// The JSON form of each of the operator's CRDs in Sources/SluiceSpec/CRDs: the same document as its
// YAML, which reads in a quarter of the time (FlinkCRDSchemaTests keeps the two identical). C23
// `#embed` costs the compiler a fraction of a second; a Swift array literal of the same bytes took
// about a minute.
#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char flinkdeployments[] = {
#embed "../SluiceSpec/CRDs/flinkdeployments.flink.apache.org-v1.json"
};
static const unsigned char flinksessionjobs[] = {
#embed "../SluiceSpec/CRDs/flinksessionjobs.flink.apache.org-v1.json"
};
static const unsigned char flinkstatesnapshots[] = {
#embed "../SluiceSpec/CRDs/flinkstatesnapshots.flink.apache.org-v1.json"
};
static const unsigned char flinkbluegreendeployments[] = {
#embed "../SluiceSpec/CRDs/flinkbluegreendeployments.flink.apache.org-v1.json"
};

static const struct {
    const char *file;
    const unsigned char *bytes;
    size_t size;
} crds[] = {
    {"flinkdeployments.flink.apache.org-v1.json", flinkdeployments, sizeof(flinkdeployments)},
    {"flinksessionjobs.flink.apache.org-v1.json", flinksessionjobs, sizeof(flinksessionjobs)},
    {"flinkstatesnapshots.flink.apache.org-v1.json", flinkstatesnapshots, sizeof(flinkstatesnapshots)},
    {"flinkbluegreendeployments.flink.apache.org-v1.json", flinkbluegreendeployments, sizeof(flinkbluegreendeployments)},
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
