// Ops of the elementwise math, comparisons, logic, reductions and the softmax family. Included by NuriOps.td.
#ifndef NURI_MATH_OPS_TD
#define NURI_MATH_OPS_TD

#endif
