#pragma once

#include <cstddef>

namespace ts::session::detail {

// Converts to any type; only ever named in unevaluated braced initializers.
struct AnyField
{
    template<typename T>
    operator T() const; // NOLINT(google-explicit-constructor): that is the point
};

// The number of fields of an aggregate: the longest T{x, y, ...} that compiles. The session
// writer static_asserts these, so a field added to a record struct without being saved breaks
// the build instead of being silently dropped from every saved session.
template<typename T, typename... Fields>
constexpr std::size_t fieldCount()
{
    if constexpr (requires { T{Fields{}..., AnyField{}}; })
        return fieldCount<T, Fields..., AnyField>();
    else
        return sizeof...(Fields);
}

} // namespace ts::session::detail
