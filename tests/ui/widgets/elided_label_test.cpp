#include "ui/widgets/elided_label.h"

#include <QHBoxLayout>
#include <QTest>

using namespace ts::ui;
using namespace Qt::StringLiterals;

// A long text is cut to the room the label gets; the label never asks for the whole width.
class ElidedLabelTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void elidesToItsWidthAndKeepsTheWholeText()
    {
        QWidget window;
        auto *label = new ElidedLabel;
        auto *layout = new QHBoxLayout(&window);
        layout->addWidget(label);
        const QString url = u"GET http://example.com/"_s + QString(300, u'x');
        label->setFullText(url);
        window.resize(300, 50);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.width(), 300);
        QCOMPARE(label->fullText(), url);
        QVERIFY(label->text().contains(u'\u2026'));
        QVERIFY(label->text().size() < url.size());
        QCOMPARE(label->toolTip(), url);
        QVERIFY(label->minimumSizeHint().width() < 100);
        QVERIFY(label->sizeHint().width() < 400);

        label->setFullText(u"short"_s);
        QCOMPARE(label->text(), u"short"_s);
        QCOMPARE(label->toolTip(), QString());
    }
};

QTEST_MAIN(ElidedLabelTest)
#include "elided_label_test.moc"
