/* optim.c */
#include "ligo_internal.h"
