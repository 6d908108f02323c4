/* The one translation unit of the test binary that holds the implementation. */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"
