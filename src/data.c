/* data.c */
#include "ligo_internal.h"
