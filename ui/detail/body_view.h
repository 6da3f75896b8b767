#pragma once

#include "ui/detail/body_content.h"

#include <QWidget>

#include <memory>
#include <utility>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QToolButton;
class QPlainTextEdit;
class QPushButton;
class QScrollArea;
class QStackedWidget;
class QTextBrowser;
class QTreeWidget;

namespace ts::flow {
class Body;
}

namespace ts::ui {

class HexView;
class SyntaxHighlighter;

// One message body, shown the way its content type suggests: text (coloured for JSON, HTML,
// XML, JavaScript, CSS; long lines wrapped on request), pretty JSON, a JSON tree, hex, an
// image, or HTML rendered (offline: nothing it refers to is fetched). The body is read and
// decoded on a worker thread, first only its start (a "Load all" button fetches the rest), so a
// large or spilled body never freezes the window.
class BodyView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BodyView)

public:
    enum Mode : int { TextMode, PrettyMode, TreeMode, HexMode, ImageMode, PreviewMode, ModeCount };

    explicit BodyView(QWidget *parent = nullptr);
    ~BodyView() override;

    // `contentEncoding` is the Content-Encoding field value ("" when none).
    void setBody(std::shared_ptr<flow::Body> body, const QString &contentType,
                 const std::string &contentEncoding);
    void clear();
    void loadAll();

    bool isLoading() const { return m_loading; }
    BodyKind kind() const { return m_kind; }
    Mode mode() const;
    void setMode(Mode mode);
    QString infoText() const;
    QString text() const; // what the text view shows
    // Long lines of the text view wrap at its width (the "Wrap" box; kept across bodies).
    void setWrapping(bool wrap);
    bool isWrapping() const;
    QString previewText() const; // the rendered HTML's text (PreviewMode)

    // Find in body (Ctrl+F with the focus in the view, F3 / Shift+F3, Esc closes): every
    // match in the text view highlighted, the current one selected and scrolled to.
    void openFind();
    void closeFind();
    void find(const QString &needle);
    void findNext();
    void findPrevious();
    int matchCount() const { return int(m_matches.size()); }
    int currentMatch() const { return m_currentMatch; } // 0-based; -1: none

    const BodyContent &content() const { return m_content; }

Q_SIGNALS:
    void loaded();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void load(std::uint64_t maxRaw, std::uint64_t maxDecoded);
    void show(BodyContent content);
    void showMode(Mode mode);
    void fillTree();
    void searchAgain();
    void showMatches();

    std::shared_ptr<flow::Body> m_body;
    QString m_contentType;
    std::string m_contentEncoding;
    std::uint64_t m_generation = 0;
    bool m_loading = false;
    BodyContent m_content;
    BodyKind m_kind = BodyKind::Empty;
    bool m_treeFilled = false;

    QLabel *m_info = nullptr;
    QComboBox *m_modeBox = nullptr;
    QPushButton *m_loadAllButton = nullptr;
    QStackedWidget *m_stack = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QTreeWidget *m_tree = nullptr;
    HexView *m_hex = nullptr;
    QScrollArea *m_imageArea = nullptr;
    QLabel *m_image = nullptr;
    QTextBrowser *m_preview = nullptr;
    QCheckBox *m_wrapBox = nullptr;
    QWidget *m_findBar = nullptr;
    QLineEdit *m_findEdit = nullptr;
    QLabel *m_findCount = nullptr;
    std::vector<std::pair<int, int>> m_matches; // (position, length) in the text view
    int m_currentMatch = -1;
    SyntaxHighlighter *m_highlighter = nullptr;
};

} // namespace ts::ui
