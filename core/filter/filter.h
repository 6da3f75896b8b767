#pragma once

#include "core/base/result.h"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ts::flow {
struct Flow;
}

namespace ts::filter {

// Abuse limits of the filter language (STYLE.md 7): what one expression may cost to parse and
// to run against one flow.
struct FilterLimits
{
    static constexpr std::size_t maxExpressionBytes = 16 * 1024; // longer text is refused
    static constexpr int maxDepth = 64;                // nested '(' and 'not': parser recursion
    static constexpr std::size_t maxRegexBytes = 1024; // one /.../ pattern
    // Pattern size with {n,m} expanded, about its automaton's states; matching costs states x
    // text bytes (500 states over 64 KiB: about half a second).
    static constexpr std::size_t maxRegexCost = 500;
    static constexpr std::size_t maxRegexSubject = 64 * 1024; // bytes of a field a regex sees
    static constexpr std::size_t maxBodyRead = 1 << 20;       // recorded body bytes read
    static constexpr std::size_t maxBodyDecoded = 1 << 20;    // decoded body bytes searched
};

namespace detail {
struct Node;
}

// One parsed expression of the flows table's filter box (README.md has the language). Cheap to
// copy; matches() is const and may run on several threads at once.
class Filter
{
public:
    Filter(); // the empty filter: matches every flow

    // Errors ("filter.syntax") read "at 12: expected a value after 'status:'", where 12 is the
    // byte offset in `text` at which something else was expected.
    static Result<Filter> parse(std::string_view text);

    bool matches(const flow::Flow &flow) const;

    const std::string &text() const { return m_text; }
    bool isEmpty() const { return !m_root; }
    // The expression looks into bodies (body:, reqbody:, resbody:), which reads and decodes
    // up to FilterLimits::maxBodyRead bytes per body: slow over many flows.
    bool readsBodies() const { return m_readsBodies; }
    // The expression looks at header lists (header fields, bodies, type:websocket). One that
    // does not can be run over records whose header lists are spilled (FlowStore::peek()).
    bool readsHeaders() const { return m_readsHeaders; }

    // Candidates for the word that ends at `cursor`, which starts at completionStart(): field
    // names ("host:"), keywords ("and", "tls") and, after a field with a fixed set of values,
    // whole field-and-value words ("type:websocket"). Each candidate replaces the whole word.
    static std::vector<std::string> completions(std::string_view text, std::size_t cursor);
    static std::size_t completionStart(std::string_view text, std::size_t cursor);

    // A short plain-text reference of the language for the help popup: the quick-reference
    // block of core/filter/README.md.
    static std::string helpText();

private:
    std::shared_ptr<const detail::Node> m_root; // null: matches everything
    std::string m_text;
    bool m_readsBodies = false;
    bool m_readsHeaders = false;
};

} // namespace ts::filter
