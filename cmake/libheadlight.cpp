// libheadlight.so's own translation unit: the library is the engine's, whole (cmake/targets.cmake); nothing lives here.
#include "headlight.h"
