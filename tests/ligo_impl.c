/* The one translation unit of the test binary that holds the implementation. */
#define LIGO_IMPLEMENTATION
#define LIGO_OP_TESTS
#include "../ligo.h"
