/* The library, compiled once for every fuzz target. */
#define LIGO_IMPLEMENTATION
#include "../../ligo.h"
