#include "core/engine/request_sender.h"

#include "core/engine/engine.h"

namespace ts::engine {

using namespace Qt::StringLiterals;

RequestSender::RequestSender(QObject *parent) : QObject(parent)
{}

RequestSender::~RequestSender() = default;

int RequestSender::send(const ComposedRequest &request)
{
    const int id = m_nextId++;
    start(id, request);
    return id;
}

int RequestSender::sendMany(const ComposedRequest &request, int count, int concurrency)
{
    const int first = m_nextId;
    m_concurrency = std::max(1, concurrency);
    for (int i = 0; i < std::max(1, count); ++i)
        m_queue.push_back({m_nextId++, request});
    startQueued();
    return first;
}

void RequestSender::cancelAll()
{
    // Requests under way finish in the engine (and are recorded); their answers are ignored.
    m_queue.clear();
    m_active.clear();
}

void RequestSender::start(int id, const ComposedRequest &request)
{
    m_active.insert(id);
    if (!m_engine || !m_engine->running()) {
        ComposedResponse none;
        none.error = u"no engine is running to send the request through"_s;
        QMetaObject::invokeMethod(
            this, [this, id, none] { onDone(id, none); }, Qt::QueuedConnection);
        return;
    }
    m_engine->send(request, m_options, this,
                   [this, id](const ComposedResponse &response) { onDone(id, response); });
}

void RequestSender::startQueued()
{
    while (!m_queue.empty() && int(m_active.size()) < m_concurrency) {
        Queued next = std::move(m_queue.front());
        m_queue.pop_front();
        start(next.id, next.request);
    }
}

void RequestSender::onDone(int id, const ComposedResponse &response)
{
    if (!m_active.erase(id))
        return; // cancelled
    Q_EMIT finished(id, response);
    startQueued();
    if (m_active.empty() && m_queue.empty())
        Q_EMIT idle();
}

} // namespace ts::engine
