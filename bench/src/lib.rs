//! Shared helpers for the benchmarks; the benches live in `benches/`.
