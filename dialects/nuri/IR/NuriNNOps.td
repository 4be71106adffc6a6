// Ops of the neural-network ops: resize, transposed convolution, normalizations, einsum. Included by NuriOps.td.
#ifndef NURI_NN_OPS_TD
#define NURI_NN_OPS_TD

#endif
