// Entry translation unit of the engine's wasm module: the exports live in headlight_api.cpp.
#include "headlight.h"

// Referenced so the linker keeps the API object file of the static library.
extern "C" int32_t hl_module_keepalive(void) { return hl_version(); }
