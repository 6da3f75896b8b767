// The one config folder (~/.config/Tunnelscope) and the move of a CA out of the doubled folder
// of earlier versions (~/.config/Tunnelscope/Tunnelscope): moved, not copied, still the same
// CA, the key still 0600.
#include "core/engine/config_folder.h"
#include "core/engine/engine.h"
#include "core/engine/engine_config.h"
#include "core/tls/certificate_authority.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace ts::engine;
using namespace Qt::StringLiterals;

namespace {

struct stat statOf(const QString &path)
{
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        st.st_ino = 0;
    return st;
}

std::string fingerprintOf(const QString &dir)
{
    auto ca = ts::tls::CertificateAuthority::openOrCreate(dir.toStdString());
    return ca ? (*ca)->info().sha256 : std::string();
}

} // namespace

class ConfigFolderTest final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void folders();
    void newCaGoesToTheOneFolder();
    void legacyCaIsMovedNotCopied();
    void legacyFolderWithOtherFilesStays();
    void caInTheOneFolderWins();
    void explicitCaDirectoryIsLeftAlone();

private:
    QString m_config; // XDG_CONFIG_HOME
    QTemporaryDir m_tmp;
};

void ConfigFolderTest::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_config = m_tmp.filePath(u"config"_s);
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_config));
    QCoreApplication::setOrganizationName(u"Tunnelscope"_s);
    QCoreApplication::setApplicationName(u"Tunnelscope"_s);
}

void ConfigFolderTest::init()
{
    QDir(m_config).removeRecursively();
    QVERIFY(QDir().mkpath(m_config));
}

void ConfigFolderTest::folders()
{
    QCOMPARE(configFolder(), m_config + u"/Tunnelscope"_s);
    QCOMPARE(legacyConfigFolder(), m_config + u"/Tunnelscope/Tunnelscope"_s);
}

void ConfigFolderTest::newCaGoesToTheOneFolder()
{
    const QString dir = Engine::caDirectory(EngineConfig{});
    QCOMPARE(dir, m_config + u"/Tunnelscope/ca"_s);
    QVERIFY(!fingerprintOf(dir).empty());
    QVERIFY(!QFileInfo::exists(legacyConfigFolder()));
    QCOMPARE(statOf(dir + u"/ca-key.pem"_s).st_mode & 0777, 0600u);
}

void ConfigFolderTest::legacyCaIsMovedNotCopied()
{
    const QString legacy = m_config + u"/Tunnelscope/Tunnelscope/ca"_s;
    const std::string fingerprint = fingerprintOf(legacy);
    QVERIFY(!fingerprint.empty());
    const struct stat keyBefore = statOf(legacy + u"/ca-key.pem"_s);
    QVERIFY(keyBefore.st_ino != 0);

    const QString dir = Engine::caDirectory(EngineConfig{});
    QCOMPARE(dir, m_config + u"/Tunnelscope/ca"_s);
    // Moved: the same file (inode), the same mode, nothing left behind.
    const struct stat keyAfter = statOf(dir + u"/ca-key.pem"_s);
    QCOMPARE(keyAfter.st_ino, keyBefore.st_ino);
    QCOMPARE(keyAfter.st_mode & 0777, 0600u);
    QCOMPARE(statOf(dir).st_mode & 0777, 0700u);
    QVERIFY(!QFileInfo::exists(legacy));
    QVERIFY(!QFileInfo::exists(legacyConfigFolder())); // it was empty after the move
    // The same CA: clients that trust it need do nothing.
    QCOMPARE(fingerprintOf(dir), fingerprint);
    // A second start finds it in place.
    QCOMPARE(Engine::caDirectory(EngineConfig{}), dir);
    QCOMPARE(fingerprintOf(dir), fingerprint);
}

void ConfigFolderTest::legacyFolderWithOtherFilesStays()
{
    const QString legacy = legacyConfigFolder();
    QVERIFY(!fingerprintOf(legacy + u"/ca"_s).empty());
    QFile journal(legacy + u"/system-proxy.json"_s);
    QVERIFY(journal.open(QIODevice::WriteOnly));
    journal.write("{}");
    journal.close();
    QFile other(legacy + u"/notes.txt"_s); // not ours to move or delete
    QVERIFY(other.open(QIODevice::WriteOnly));
    other.close();

    QCOMPARE(migratedPath(u"ca"_s), configFolder() + u"/ca"_s);
    QCOMPARE(migratedPath(u"system-proxy.json"_s), configFolder() + u"/system-proxy.json"_s);
    QVERIFY(QFileInfo::exists(configFolder() + u"/system-proxy.json"_s));
    QVERIFY(QFileInfo::exists(legacy + u"/notes.txt"_s));
    QVERIFY(!QFileInfo::exists(legacy + u"/ca"_s));
}

void ConfigFolderTest::caInTheOneFolderWins()
{
    const std::string current = fingerprintOf(configFolder() + u"/ca"_s);
    const std::string old = fingerprintOf(legacyConfigFolder() + u"/ca"_s);
    QVERIFY(current != old);
    const QString dir = Engine::caDirectory(EngineConfig{});
    QCOMPARE(dir, configFolder() + u"/ca"_s);
    QCOMPARE(fingerprintOf(dir), current);
    // The other one is not touched (nor deleted): it may be a CA someone still trusts.
    QCOMPARE(fingerprintOf(legacyConfigFolder() + u"/ca"_s), old);
}

void ConfigFolderTest::explicitCaDirectoryIsLeftAlone()
{
    QVERIFY(!fingerprintOf(legacyConfigFolder() + u"/ca"_s).empty());
    EngineConfig config;
    config.caDirectory = m_tmp.filePath(u"mine"_s);
    QCOMPARE(Engine::caDirectory(config), m_tmp.filePath(u"mine"_s));
    QVERIFY(QFileInfo::exists(legacyConfigFolder() + u"/ca"_s));
}

QTEST_GUILESS_MAIN(ConfigFolderTest)
#include "config_folder_test.moc"
