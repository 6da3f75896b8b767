#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ts {

// An error as a value: a short machine-readable code plus a message for people.
struct Error
{
    std::string code;    // e.g. "connect.refused", "http1.bad-header"
    std::string message; // one line, shown to users
};

// Result<T> carries either a value or an Error. Core code returns these instead of throwing,
// so nothing unwinds through a C callback (STYLE.md 6). std::expected is C++23; this is the
// small part of it we use.
template<typename T>
class Result
{
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T &value() { return std::get<0>(m_v); }
    const T &value() const { return std::get<0>(m_v); }
    T &operator*() { return value(); }
    const T &operator*() const { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

template<>
class Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}
    bool ok() const { return m_ok; }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

} // namespace ts
