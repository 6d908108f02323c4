/* test_io.c */
#include "harness.h"

void suite_io(void);
void suite_io(void) {}
