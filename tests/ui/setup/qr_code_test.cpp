// The QR code of the phone page: libqrencode's modules, and the image read back by a real
// reader (zbarimg, from zbar-tools) to the exact text.
#include "ui/setup/qr_code.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using ts::ui::QrCode;
using namespace Qt::StringLiterals;

class QrCodeTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void finderPatternsInThreeCorners()
    {
        const auto code = QrCode::encode("http://192.168.1.20:8080/");
        QVERIFY(code);
        QVERIFY(code->size() >= 21 && (code->size() - 21) % 4 == 0);
        const int n = code->size();
        // Each finder pattern: a dark 7x7 ring, a light ring inside it, a dark 3x3 centre.
        for (const auto &[x0, y0] : {std::pair{0, 0}, {n - 7, 0}, {0, n - 7}}) {
            QVERIFY(code->dark(x0, y0) && code->dark(x0 + 6, y0 + 6));
            QVERIFY(!code->dark(x0 + 1, y0 + 1));
            QVERIFY(code->dark(x0 + 3, y0 + 3));
        }
    }

    void imageHasAQuietZoneAndScales()
    {
        const auto code = QrCode::encode("x");
        QVERIFY(code);
        const QImage image = code->image(3);
        QCOMPARE(image.width(), (code->size() + 8) * 3);
        QCOMPARE(image.pixel(0, 0), qRgb(255, 255, 255));
        QCOMPARE(image.pixel(4 * 3, 4 * 3), qRgb(0, 0, 0)); // the top-left finder's corner
        QCOMPARE(image.pixel(4 * 3 - 1, 4 * 3), qRgb(255, 255, 255));
    }

    void tooLongForAQrCode() { QVERIFY(!QrCode::encode(QByteArray(8000, 'a'))); }

    void aReaderReadsItBack_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("info page") << QByteArray("http://192.168.1.20:8080/");
        QTest::newRow("IPv6") << QByteArray("http://[fd00::1234:5678]:18080/");
        QTest::newRow("long") << QByteArray("http://tunnelscope.lan:8080/?") + QByteArray(300, 'q');
    }

    void aReaderReadsItBack()
    {
        QFETCH(QByteArray, text);
        const QString zbarimg = QStandardPaths::findExecutable(u"zbarimg"_s);
        if (zbarimg.isEmpty())
            QFAIL("zbarimg is not installed: ./dev.sh installs zbar-tools");
        QTemporaryDir dir;
        const QString png = dir.filePath(u"code.png"_s);
        const auto code = QrCode::encode(text);
        QVERIFY(code);
        QVERIFY(code->image(4).save(png));
        QProcess reader;
        reader.start(zbarimg, {u"--quiet"_s, u"--raw"_s, png});
        QVERIFY(reader.waitForFinished(30000));
        QCOMPARE(reader.exitCode(), 0);
        QCOMPARE(reader.readAllStandardOutput().trimmed(), text);
    }
};

QTEST_GUILESS_MAIN(QrCodeTest)
#include "qr_code_test.moc"
