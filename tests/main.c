/* main.c: runs every suite; the last line is "N passed, N failed". */
#include "harness.h"

int harness_report(void);
void suite_core(void);
void suite_tensor(void);
void suite_gemm(void);
void suite_graph(void);
void suite_ops(void);
void suite_prims(void);
void suite_custom(void);
void suite_nn(void);
void suite_def(void);
void suite_optim(void);
void suite_data(void);
void suite_io(void);
void suite_train(void);
void suite_grow(void);
void suite_llama(void);
void suite_state(void);
void suite_bench(void);

int main(void) {
    suite_core();
    suite_tensor();
    suite_gemm();
    suite_graph();
    suite_ops();
    suite_prims();
    suite_custom();
    suite_nn();
    suite_def();
    suite_optim();
    suite_data();
    suite_io();
    suite_train();
    suite_grow();
    suite_llama();
    suite_state();
    suite_bench();
    return harness_report();
}
