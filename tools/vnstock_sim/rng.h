// A small seeded random number generator whose output is fixed by this file
// alone (std:: distributions and absl::BitGen may change between library
// versions), so a replayed day is the same on every machine and build.
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_RNG_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_RNG_H_

#include <cmath>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace vnstream::sim {

// 64-bit FNV-1a of `text`: turns "FPT|2019-06-14" into a seed.
inline uint64_t SeedFrom(absl::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// SplitMix64 (Steele, Lea, Flood 2014). Not thread-safe: one owner.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [lo, hi] (hi >= lo); the tiny modulo bias is
  // irrelevant for a simulation.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

  // Standard normal (Box-Muller; one value per call).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log() stays finite.
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_RNG_H_
