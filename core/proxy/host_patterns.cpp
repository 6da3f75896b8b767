#include "core/proxy/host_patterns.h"

#include <algorithm>

namespace ts::proxy {

namespace {

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

std::string globToRegex(std::string_view glob)
{
    std::string re;
    for (char c : glob) {
        switch (c) {
        case '*':
            re += ".*";
            break;
        case '?':
            re += '.';
            break;
        case '.':
        case '+':
        case '(':
        case ')':
        case '[':
        case ']':
        case '{':
        case '}':
        case '^':
        case '$':
        case '|':
        case '\\':
            re += '\\';
            re += c;
            break;
        default:
            re += c;
        }
    }
    return re;
}

} // namespace

Result<HostPatterns> HostPatterns::parse(const std::vector<std::string> &patterns)
{
    HostPatterns p;
    for (const std::string &source : patterns) {
        if (source.empty())
            continue;
        const bool isRegex = source.rfind("re:", 0) == 0;
        const std::string expression = isRegex ? source.substr(3) : globToRegex(lower(source));
        try {
            p.m_patterns.emplace_back(expression, std::regex::ECMAScript | std::regex::icase
                                                      | std::regex::optimize);
        } catch (const std::regex_error &e) {
            return Error{"pattern.invalid", "invalid host pattern '" + source + "': " + e.what()};
        }
        p.m_sources.push_back(source);
    }
    return p;
}

HostPatterns::HostPatterns(const HostPatterns &other)
    : m_patterns(other.m_patterns), m_sources(other.m_sources)
{
    std::lock_guard lock(other.m_mutex);
    m_added = other.m_added;
}

HostPatterns &HostPatterns::operator=(const HostPatterns &other)
{
    if (this == &other)
        return *this;
    m_patterns = other.m_patterns;
    m_sources = other.m_sources;
    std::scoped_lock lock(m_mutex, other.m_mutex);
    m_added = other.m_added;
    return *this;
}

bool HostPatterns::matches(std::string_view host) const
{
    const std::string h = lower(host);
    {
        std::lock_guard lock(m_mutex);
        if (m_added.count(h))
            return true;
    }
    return std::any_of(m_patterns.begin(), m_patterns.end(),
                       [&](const std::regex &r) { return std::regex_match(h, r); });
}

void HostPatterns::addHost(const std::string &host)
{
    std::lock_guard lock(m_mutex);
    m_added.insert(lower(host));
}

bool HostPatterns::empty() const
{
    std::lock_guard lock(m_mutex);
    return m_patterns.empty() && m_added.empty();
}

} // namespace ts::proxy
