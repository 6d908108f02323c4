/* test_optim.c */
#include "harness.h"

void suite_optim(void);
void suite_optim(void) {}
