// Fuzz target for HAR import (STYLE.md 8): any bytes are a HAR file or a clear error, never a
// crash, and what is imported keeps the promises importHar() makes.
//
// Input: the HAR bytes. Imported with a small body budget, so the caps are exercised.
// Invariants: ids are 1..N; every body keeps at most perBodyRecorded bytes and counts at least
// what it keeps; a parent is an earlier intercepted tunnel; importing again gives the same
// flows (no hidden state). Any violation aborts.

#include "core/session/har_import.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace ts;
using namespace ts::flow;

void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "har_import_fuzz: %s\n", what);
        std::abort();
    }
}

std::shared_ptr<BodyBudget> smallBudget()
{
    auto budget = std::make_shared<BodyBudget>();
    budget->perBodyMemory = 4 * 1024;
    budget->totalMemory = 64 * 1024;
    budget->perBodyRecorded = 16 * 1024;
    return budget;
}

void checkBody(const std::shared_ptr<Body> &body, const BodyBudget &budget)
{
    if (!body)
        return;
    check(body->recordedSize() <= budget.perBodyRecorded, "a body kept more than its cap");
    check(body->size() >= body->recordedSize(), "a body kept more than it saw");
    check(body->read().size() == body->recordedSize(), "a body reads back short");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto budget = smallBudget();
    const auto flows = session::importHar(json, budget);
    if (!flows) {
        check(!flows.error().message.empty(), "an error without a message");
        return 0;
    }
    for (std::size_t i = 0; i < flows->size(); ++i) {
        const Flow &f = (*flows)[i];
        check(f.id == i + 1, "ids are not 1..N");
        checkBody(f.requestBody, *budget);
        checkBody(f.responseBody, *budget);
        if (f.parent != 0) {
            check(f.parent < f.id, "a parent after its child");
            const Flow &p = (*flows)[f.parent - 1];
            check(p.kind == FlowKind::Tunnel && p.intercepted, "a parent that is no tunnel");
            check(p.clientConnection == f.clientConnection, "a parent on another connection");
        }
        (void)f.url();
    }
    check(budget->inMemory.load() <= budget->totalMemory, "bodies over the memory budget");

    const auto again = session::importHar(json, smallBudget());
    check(again && again->size() == flows->size(), "a second import differs");
    for (std::size_t i = 0; i < flows->size(); ++i) {
        const Flow &a = (*flows)[i];
        const Flow &b = (*again)[i];
        check(a.host == b.host && a.path == b.path && a.timings.complete == b.timings.complete
                  && a.requestHeaders == b.requestHeaders && a.parent == b.parent,
              "a second import differs");
    }
    return 0;
}
