// Ops of the gathers, scatters, padding, tiling and other index-driven data movement. Included by NuriOps.td.
#ifndef NURI_INDEX_OPS_TD
#define NURI_INDEX_OPS_TD

#endif
