/* nn.c */
#include "ligo_internal.h"
