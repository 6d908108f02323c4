/* test_data.c */
#include "harness.h"

void suite_data(void);
void suite_data(void) {}
