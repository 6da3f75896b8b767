#include "core/flow/body.h"
#include "ui/detail/body_view.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTest>

using namespace ts::flow;
using namespace ts::ui;
using namespace Qt::StringLiterals;

namespace {

bool showBody(BodyView &view, const std::string &bytes, const QString &type)
{
    auto body = std::make_shared<Body>(std::make_shared<BodyBudget>());
    body->append(bytes);
    QSignalSpy loaded(&view, &BodyView::loaded);
    view.setBody(body, type, "");
    return !view.isLoading() || loaded.wait(5000);
}

} // namespace

// One body, shown in the viewer its type suggests.
class BodyViewTest final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Issue 17, defect 3: pretty JSON sorted the keys and rounded 12345678901234567890.
    void prettyJsonKeepsKeyOrderAndDigits()
    {
        BodyView view;
        QVERIFY(
            showBody(view, R"({"zeta":12345678901234567890,"alpha":1})", u"application/json"_s));
        QCOMPARE(view.mode(), BodyView::PrettyMode);
        QCOMPARE(view.text(), u"{\n  \"zeta\": 12345678901234567890,\n  \"alpha\": 1\n}\n"_s);
    }

    // Issue 17, defect 16: the mode box kept the width of its first items, cutting
    // "Pretty JSON".
    void modeBoxShowsItsFullText()
    {
        QWidget window;
        auto *view = new BodyView(&window);
        view->resize(600, 400);
        window.resize(600, 400);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(showBody(*view, "\x01\x02 binary", u"application/octet-stream"_s));
        QVERIFY(showBody(*view, "[1,2]", u"application/json"_s));
        auto *box = view->findChild<QComboBox *>(u"bodyMode"_s);
        QVERIFY(box);
        QCOMPARE(box->currentText(), u"Pretty JSON"_s);
        QTRY_VERIFY(box->width() >= box->fontMetrics().horizontalAdvance(u"Pretty JSON"_s) + 20);
    }

    void prettyOfInvalidJsonShowsTheBytes()
    {
        BodyView view;
        QVERIFY(showBody(view, "{\"a\":", u"application/json"_s));
        QCOMPARE(view.mode(), BodyView::PrettyMode);
        QCOMPARE(view.text(), u"{\"a\":"_s);
    }

    // Issue 17, defect 16: an HTML body was one unwrapped line of source, nothing more.
    void htmlWrapsAndPreviewsOffline()
    {
        QWidget window;
        auto *view = new BodyView(&window);
        window.resize(400, 300);
        view->resize(400, 300);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const std::string html = "<html><body><h1>Hello</h1><p>" + std::string(300, 'x')
                                 + "</p><img src=\"/etc/hostname\"></body></html>";
        QVERIFY(showBody(*view, html, u"text/html; charset=utf-8"_s));
        QCOMPARE(view->mode(), BodyView::TextMode);
        auto *wrap = view->findChild<QCheckBox *>(u"bodyWrap"_s);
        QVERIFY(wrap);
        QVERIFY(wrap->isVisible());
        QVERIFY(!view->isWrapping());
        wrap->click();
        QVERIFY(view->isWrapping());
        auto *text = view->findChild<QPlainTextEdit *>(u"bodyText"_s);
        QCOMPARE(text->lineWrapMode(), QPlainTextEdit::WidgetWidth);

        auto *box = view->findChild<QComboBox *>(u"bodyMode"_s);
        QVERIFY(box->findData(int(BodyView::PreviewMode)) >= 0);
        view->setMode(BodyView::PreviewMode);
        QCOMPARE(view->mode(), BodyView::PreviewMode);
        QVERIFY(view->previewText().startsWith(u"Hello"_s));
        QVERIFY(!wrap->isVisible()); // nothing to wrap in a rendered page

        // The next body keeps the choice to wrap.
        QVERIFY(showBody(*view, "plain text", u"text/plain"_s));
        QVERIFY(view->isWrapping());
    }

    // Issue 17, everyday tools: find in a body, every match highlighted, next and previous.
    // Ctrl+F in the body belongs to the body, not to the window's Filter shortcut.
    void findsInTheBody()
    {
        QMainWindow window;
        auto *filter = new QAction(u"Filter"_s, &window);
        filter->setShortcut(QKeySequence::Find);
        window.addAction(filter);
        bool filterTriggered = false;
        connect(filter, &QAction::triggered, this, [&] { filterTriggered = true; });
        auto *view = new BodyView(&window);
        window.setCentralWidget(view);
        window.resize(600, 400);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(showBody(*view, "alpha beta\nALPHA gamma\nalpha", u"text/plain"_s));

        auto *text = view->findChild<QPlainTextEdit *>(u"bodyText"_s);
        text->setFocus();
        QTRY_VERIFY(text->hasFocus());
        QTest::keyClick(text, Qt::Key_F, Qt::ControlModifier);
        QVERIFY(!filterTriggered);
        auto *edit = view->findChild<QLineEdit *>(u"findEdit"_s);
        QVERIFY(edit->isVisible());
        QTRY_VERIFY(edit->hasFocus());

        QTest::keyClicks(edit, u"alpha"_s);
        QCOMPARE(view->matchCount(), 3); // case-insensitive
        QCOMPARE(view->currentMatch(), 0);
        QCOMPARE(text->extraSelections().size(), 3);
        QCOMPARE(view->findChild<QLabel *>(u"findCount"_s)->text(), u"1 of 3"_s);
        QTest::keyClick(edit, Qt::Key_Return);
        QCOMPARE(view->currentMatch(), 1);
        QCOMPARE(text->textCursor().selectedText(), u"ALPHA"_s);
        view->findPrevious();
        view->findPrevious();
        QCOMPARE(view->currentMatch(), 2); // wraps around
        view->find(u"nothing"_s);
        QCOMPARE(view->matchCount(), 0);
        QCOMPARE(view->findChild<QLabel *>(u"findCount"_s)->text(), u"No match"_s);

        QTest::keyClick(edit, Qt::Key_Escape);
        QVERIFY(!edit->isVisible());
        QVERIFY(text->extraSelections().isEmpty());
    }
};

QTEST_MAIN(BodyViewTest)
#include "body_view_test.moc"
