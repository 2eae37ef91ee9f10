#ifndef SLUICE_CCURL_SHIM_H
#define SLUICE_CCURL_SHIM_H
/* libcurl's types and constants only. The module links nothing: libcurl is opened on first use
   by CCurlLoader, whose sluice_curl_* functions are the only way Swift code calls into it. */
#include <curl/curl.h>
#endif
