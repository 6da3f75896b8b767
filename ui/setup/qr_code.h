#pragma once

#include <QByteArray>
#include <QImage>

#include <optional>
#include <vector>

namespace ts::ui {

// A QR code made by libqrencode (the one wrapper around its QRcode), as modules and as an
// image: the phone page of Help > Set up a client shows the info page's URL as one, so that a
// phone's camera opens it.
class QrCode
{
public:
    // Nothing when the text does not fit a QR code (about 2 KB at this error correction).
    static std::optional<QrCode> encode(const QByteArray &text);

    // Modules per side (21 for version 1, 4 more per version).
    int size() const { return m_size; }
    bool dark(int x, int y) const { return m_modules[std::size_t(y * m_size + x)]; }
    // Black on white, `scale` pixels per module, with the four-module quiet zone that readers
    // need around the code.
    QImage image(int scale) const;

private:
    QrCode(int size, std::vector<bool> modules) : m_size(size), m_modules(std::move(modules)) {}

    int m_size = 0;
    std::vector<bool> m_modules; // row by row
};

} // namespace ts::ui
