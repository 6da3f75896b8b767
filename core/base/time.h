#pragma once

#include <cstdint>

namespace ts {

// Monotonic time in microseconds. Layers never read a clock: the engine passes `now` in with
// every event and layers answer with deadlines in the same unit (STYLE.md 3).
using MonoTime = std::int64_t;
constexpr MonoTime kNoDeadline = INT64_MAX;
constexpr MonoTime kMillisecond = 1000;
constexpr MonoTime kSecond = 1000 * kMillisecond;

// Wall-clock milliseconds since the Unix epoch, for display and HAR only.
using WallMillis = std::int64_t;

MonoTime monotonicNow();
WallMillis wallNow();

} // namespace ts
