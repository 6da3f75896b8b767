// Fuzz target for opening session files (STYLE.md 8): any bytes open as a session or give a
// clear error, never a crash or an allocation the file cannot back.
//
// Input: the file's bytes. They are read whole and through a device that hands out at most
// a few bytes per read (the count derived from the input); both must give the same answer.
// A session that opens is written again and must open again and write the same bytes (the
// records after the first, which holds the save time): the reader and writer agree on every
// field. Any violation aborts.

#include "core/session/session_file.h"

#include <QBuffer>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace ts;
using namespace ts::flow;

void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "session_file_fuzz: %s\n", what);
        std::abort();
    }
}

// A sequential device that returns at most `step` bytes per read, like a slow pipe.
class TrickleDevice final : public QIODevice
{
public:
    TrickleDevice(QByteArray data, qint64 step) : m_data(std::move(data)), m_step(step)
    {
        open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override
    {
        return m_data.size() - m_at + QIODevice::bytesAvailable();
    }

protected:
    qint64 readData(char *out, qint64 max) override
    {
        const qint64 n = std::min({max, m_step, qint64(m_data.size() - m_at)});
        std::copy_n(m_data.constData() + m_at, n, out);
        m_at += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_step;
    qint64 m_at = 0;
};

std::shared_ptr<BodyBudget> smallBudget()
{
    auto budget = std::make_shared<BodyBudget>();
    budget->perBodyMemory = 4 * 1024;
    budget->totalMemory = 64 * 1024;
    budget->perBodyRecorded = 1 << 20;
    return budget;
}

Result<session::SessionData> readFrom(QIODevice &device)
{
    return session::readSession(device, smallBudget());
}

QByteArray write(const session::SessionData &data)
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    check(bool(session::writeSession(out, data)), "a session that opened cannot be written");
    return out.data();
}

qsizetype afterFirstRecord(const QByteArray &b)
{
    const auto byte = [&](qsizetype i) {
        return std::uint32_t(static_cast<unsigned char>(b[i]));
    };
    return 20 + 8 + qsizetype(byte(24) | byte(25) << 8 | byte(26) << 16 | byte(27) << 24) + 4;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    QBuffer whole;
    whole.setData(bytes);
    whole.open(QIODevice::ReadOnly);
    const auto opened = readFrom(whole);

    TrickleDevice trickle(bytes, 1 + qint64(size ? data[size / 2] % 13 : 0));
    const auto trickled = readFrom(trickle);
    check(opened.ok() == trickled.ok(), "the answer depends on how the bytes arrive");
    if (!opened) {
        check(opened.error().message == trickled.error().message,
              "the error depends on how the bytes arrive");
        check(!opened.error().message.empty(), "an error without a message");
        return 0;
    }

    const QByteArray first = write(*opened);
    QBuffer again;
    again.setData(first);
    again.open(QIODevice::ReadOnly);
    const auto reopened = readFrom(again);
    check(reopened.ok(), "a session written from an opened one does not open");
    const QByteArray second = write(*reopened);
    check(first.size() == second.size()
              && first.sliced(afterFirstRecord(first)) == second.sliced(afterFirstRecord(second)),
          "writing, opening and writing again changes the records");
    check(write(*trickled).size() == first.size(), "the trickled read differs");
    return 0;
}
