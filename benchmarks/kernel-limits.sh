# Sourced by the Quickstart scripts: kernel_limits prints the instruction-set limits set in this environment for the
# native libraries (oneDNN, MKL, ATen), e.g. "DNNL_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2", or nothing when none
# is set. A run with such limits uses other kernels (and other float rounding) than the CPU would pick, so its row says so.
# Setting DNNL_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2 on an AVX-512 CPU runs the
# kernels an AVX2 CPU such as Zen 3 runs (oneDNN's blocking may still differ with the cache sizes).
kernel_limits() {
  local name limits=""
  for name in ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA MKL_ENABLE_INSTRUCTIONS MKL_CBWR ATEN_CPU_CAPABILITY; do
    [ -n "${!name:-}" ] && limits="$limits${limits:+ }$name=${!name}"
  done
  printf '%s' "$limits"
}
