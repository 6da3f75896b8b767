#include "ui/setup/qr_code.h"

#include <qrencode.h>

#include <memory>

namespace ts::ui {

namespace {

struct QrFree
{
    void operator()(QRcode *code) const { QRcode_free(code); }
};

constexpr int kQuietZone = 4; // modules of white around the code (ISO/IEC 18004)

} // namespace

std::optional<QrCode> QrCode::encode(const QByteArray &text)
{
    // Level M (15 % of the code can be lost) suits a code shown on a screen; 8-bit mode keeps
    // the URL exactly as it is; the smallest version that fits.
    const std::unique_ptr<QRcode, QrFree> code(QRcode_encodeData(
        int(text.size()), reinterpret_cast<const unsigned char *>(text.data()), 0, QR_ECLEVEL_M));
    if (!code || code->width <= 0)
        return std::nullopt;
    const int size = code->width;
    std::vector<bool> modules(std::size_t(size) * std::size_t(size));
    for (std::size_t i = 0; i < modules.size(); ++i)
        modules[i] = (code->data[i] & 1) != 0; // bit 0: dark; the others say what it is part of
    return QrCode(size, std::move(modules));
}

QImage QrCode::image(int scale) const
{
    const int side = (m_size + 2 * kQuietZone) * scale;
    QImage out(side, side, QImage::Format_RGB32);
    out.fill(Qt::white);
    for (int y = 0; y < m_size; ++y) {
        for (int x = 0; x < m_size; ++x) {
            if (!dark(x, y))
                continue;
            for (int dy = 0; dy < scale; ++dy) {
                auto *row = reinterpret_cast<QRgb *>(out.scanLine((y + kQuietZone) * scale + dy));
                for (int dx = 0; dx < scale; ++dx)
                    row[(x + kQuietZone) * scale + dx] = qRgb(0, 0, 0);
            }
        }
    }
    return out;
}

} // namespace ts::ui
