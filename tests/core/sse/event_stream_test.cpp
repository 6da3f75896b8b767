// The text/event-stream parser (core/sse/event_stream.h) as transcripts, each input also fed
// split at every point and byte by byte.
#include "core/sse/event_stream.h"

#include <QTest>

using namespace ts::sse;

namespace {

std::string render(const std::vector<Item> &items)
{
    std::string out;
    for (const Item &item : items) {
        if (const auto *e = std::get_if<ServerEvent>(&item))
            out += "event type=" + e->type + " id=" + e->lastEventId + " data=[" + e->data + "]\n";
        else if (const auto *r = std::get_if<Retry>(&item))
            out += "retry " + std::to_string(r->milliseconds) + "\n";
        else if (const auto *c = std::get_if<Comment>(&item))
            out += "comment [" + c->text + "]\n";
        else if (const auto *s = std::get_if<StreamError>(&item))
            out += "error " + s->error.code + " " + s->error.message + "\n";
    }
    return out;
}

std::string run(const std::vector<std::string_view> &pieces, const ts::SseLimits &limits)
{
    EventStreamParser p(limits);
    std::vector<Item> items;
    for (const std::string_view piece : pieces)
        p.feed(piece, items);
    p.feedEof(items);
    return render(items) + "last-id " + p.lastEventId() + "\n";
}

// The transcript fed whole; or what differs.
std::string parse(std::string_view input, bool &same, const ts::SseLimits &limits = {})
{
    const std::string whole = run({input}, limits);
    same = false;
    for (std::size_t k = 1; k < input.size(); ++k) {
        const std::string t = run({input.substr(0, k), input.substr(k)}, limits);
        if (t != whole)
            return "split at " + std::to_string(k) + ":\n" + t + "whole:\n" + whole;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i)
        bytes.push_back(input.substr(i, 1));
    const std::string t = run(bytes, limits);
    if (t != whole)
        return "byte by byte:\n" + t + "whole:\n" + whole;
    same = true;
    return whole;
}

} // namespace

#define EXPECT_EVENTS(input, expected, ...)                                                        \
    do {                                                                                           \
        bool same_ = false;                                                                        \
        const std::string got_ = parse((input), same_, ##__VA_ARGS__);                             \
        QVERIFY2(same_, got_.c_str());                                                             \
        QCOMPARE(QString::fromStdString(got_), QString::fromStdString(expected));                  \
    } while (false)

class EventStreamTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fieldsAndDispatch()
    {
        EXPECT_EVENTS("data: hello\n\n"
                      "event: add\ndata: 73857293\n\n"
                      "id: 7\ndata:first\ndata:  second\ndata\n\n",
                      "event type=message id= data=[hello]\n"
                      "event type=add id= data=[73857293]\n"
                      "event type=message id=7 data=[first\n second\n]\n"
                      "last-id 7\n");
    }

    void standardExamples()
    {
        // The examples of §9.2.6: the two events at the end are the same.
        EXPECT_EVENTS("data\n\ndata\ndata\n\ndata:\n", "event type=message id= data=[]\n"
                                                       "event type=message id= data=[\n]\n"
                                                       "last-id \n");
        EXPECT_EVENTS("data:test\n\ndata: test\n\n", "event type=message id= data=[test]\n"
                                                     "event type=message id= data=[test]\n"
                                                     "last-id \n");
        EXPECT_EVENTS(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
                      "data:  third event\n\n",
                      "comment [ test stream]\n"
                      "event type=message id=1 data=[first event]\n"
                      "event type=message id= data=[second event]\n"
                      "event type=message id= data=[ third event]\n"
                      "last-id \n");
    }

    void lineEndings()
    {
        EXPECT_EVENTS("data: a\r\ndata: b\rdata: c\n\r\n"
                      "data: d\r\r",
                      "event type=message id= data=[a\nb\nc]\n"
                      "event type=message id= data=[d]\n"
                      "last-id \n");
        // CR CR LF: a line end, then an empty line (the LF belongs to the second CR).
        EXPECT_EVENTS("data: x\r\r\n", "event type=message id= data=[x]\nlast-id \n");
    }

    void idsAndTypes()
    {
        // The id persists across events; an empty id clears it; an id with NUL is ignored; the
        // type resets after each dispatch; a blank line without data still takes the id.
        static const char kInput[] = "id: a\nevent: t1\ndata: 1\n\ndata: 2\n\nid: b\0c\ndata: 3\n\n"
                                     "id\ndata: 4\n\nid: z\nevent: dropped\n\ndata: 5\n\n";
        EXPECT_EVENTS(std::string(kInput, sizeof kInput - 1), "event type=t1 id=a data=[1]\n"
                                                              "event type=message id=a data=[2]\n"
                                                              "event type=message id=a data=[3]\n"
                                                              "event type=message id= data=[4]\n"
                                                              "event type=message id=z data=[5]\n"
                                                              "last-id z\n");
    }

    void retryAndUnknownFields()
    {
        EXPECT_EVENTS("retry: 3000\nretry: 12a\nretry:\nretry: -1\nretry:1 \nfoo: bar\n"
                      "Data: case matters\nretry:99999999999999999999999\ndata: x\n\n",
                      "retry 3000\n"
                      "event type=message id= data=[x]\n"
                      "last-id \n");
    }

    void bomAndUtf8()
    {
        // One leading BOM is dropped; a second one is data.
        EXPECT_EVENTS("\xef\xbb\xbf\xef\xbb\xbf"
                      "data: \xce\xba\xf0\x9f\x99\x82\n\n",
                      "last-id \n");
        EXPECT_EVENTS("\xef\xbb\xbf"
                      "data: \xce\xba\xf0\x9f\x99\x82\n\n",
                      "event type=message id= data=[\xce\xba\xf0\x9f\x99\x82]\nlast-id \n");
        // Invalid sequences become U+FFFD, one per maximal bad prefix, and the byte that broke
        // a sequence starts the next.
        EXPECT_EVENTS("data: a\xff"
                      "b\xce"
                      "c\xf0\x9f\x99\n\n",
                      "event type=message id= data=[a\xef\xbf\xbd"
                      "b\xef\xbf\xbd"
                      "c\xef\xbf\xbd]\n"
                      "last-id \n");
        EXPECT_EVENTS("data: \xed\xa0\x80\n\n",
                      "event type=message id= data=[\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd]\n"
                      "last-id \n");
    }

    void endOfStreamDropsTheUnfinishedEvent()
    {
        EXPECT_EVENTS("data: kept\n\ndata: dropped\n",
                      "event type=message id= data=[kept]\nlast-id \n");
        EXPECT_EVENTS("data: dropped", "last-id \n");
        EXPECT_EVENTS("", "last-id \n");
    }

    void limits()
    {
        ts::SseLimits small;
        small.maxLineBytes = 16;
        small.maxEventBytes = 24;
        EXPECT_EVENTS("data: 0123456789\n\ndata: 01234567890\n\ndata: x\n\n",
                      "event type=message id= data=[0123456789]\n"
                      "error sse.line-too-long an event stream line is longer than 16 bytes\n"
                      "last-id \n",
                      small);
        EXPECT_EVENTS("data: 0123456789\ndata: 0123456789\ndata: 0123\n\n",
                      "error sse.event-too-big an event's data is larger than 24 bytes\n"
                      "last-id \n",
                      small);
        EventStreamParser p(small);
        std::vector<Item> items;
        p.feed("data: 0123456789abcdef\n", items);
        QVERIFY(p.failed());
        p.feed("\n\ndata: more\n\n", items);
        QCOMPARE(items.size(), std::size_t(1));
    }
};

QTEST_APPLESS_MAIN(EventStreamTest)
#include "event_stream_test.moc"
