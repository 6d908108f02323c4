/* io.c */
#include "ligo_internal.h"
