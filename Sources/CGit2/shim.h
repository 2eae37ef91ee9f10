#ifndef SLUICE_CGIT2_SHIM_H
#define SLUICE_CGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/stream.h>
#endif
