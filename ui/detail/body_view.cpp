#include "ui/detail/body_view.h"

#include "core/flow/body.h"
#include "ui/detail/hex_view.h"
#include "ui/detail/json_format.h"
#include "ui/detail/syntax_highlighter.h"

#include <QBuffer>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFontDatabase>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QTextBrowser>
#include <QTextCharFormat>
#include <QTextCursor>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ts::ui {

namespace {

// What the first read fetches, and what "Load all" may decode to at most.
constexpr std::uint64_t kPreviewRawBytes = 256 * 1024;
constexpr std::uint64_t kPreviewDecodedBytes = 1024 * 1024;
constexpr std::uint64_t kAllDecodedBytes = 64ull << 20;
// Beyond this the text view is not coloured: highlighting runs on the GUI thread.
constexpr qsizetype kMaxHighlightedChars = 2 * 1024 * 1024;
// Matches highlighted by Find; the count goes on past it.
constexpr int kMaxHighlightedMatches = 10000;
// JSON tree items; a larger document stops with a note.
constexpr int kMaxTreeItems = 50000;

QString modeName(BodyView::Mode mode)
{
    switch (mode) {
    case BodyView::TextMode:
        return QCoreApplication::translate("ts::ui::BodyView", "Text");
    case BodyView::PrettyMode:
        return QCoreApplication::translate("ts::ui::BodyView", "Pretty JSON");
    case BodyView::TreeMode:
        return QCoreApplication::translate("ts::ui::BodyView", "JSON tree");
    case BodyView::HexMode:
        return QCoreApplication::translate("ts::ui::BodyView", "Hex");
    case BodyView::ImageMode:
        return QCoreApplication::translate("ts::ui::BodyView", "Image");
    case BodyView::PreviewMode:
        return QCoreApplication::translate("ts::ui::BodyView", "Preview");
    default:
        return {};
    }
}

// Renders HTML without reaching out: a captured page's images, style sheets and links stay
// unfetched (no request leaves the inspector, no local file is read for a page's src=).
class OfflineBrowser final : public QTextBrowser
{
public:
    using QTextBrowser::QTextBrowser;
    QVariant loadResource(int, const QUrl &) override { return {}; }
};

void addJson(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value, int &budget)
{
    if (--budget < 0)
        return;
    auto *item = new QTreeWidgetItem(parent);
    item->setText(0, key);
    switch (value.type()) {
    case QJsonValue::Object: {
        const QJsonObject object = value.toObject();
        item->setText(1, QCoreApplication::translate("ts::ui::BodyView", "{%n key(s)}", nullptr,
                                                     int(object.size())));
        for (auto it = object.begin(); it != object.end() && budget > 0; ++it)
            addJson(item, it.key(), it.value(), budget);
        break;
    }
    case QJsonValue::Array: {
        const QJsonArray array = value.toArray();
        item->setText(1, QCoreApplication::translate("ts::ui::BodyView", "[%n item(s)]", nullptr,
                                                     int(array.size())));
        for (qsizetype i = 0; i < array.size() && budget > 0; ++i)
            addJson(item, QString::number(i), array.at(i), budget);
        break;
    }
    case QJsonValue::String:
        item->setText(1, QLatin1Char('"') + value.toString() + QLatin1Char('"'));
        break;
    case QJsonValue::Double:
        item->setText(1, QString::number(value.toDouble(), 'g', 17));
        break;
    case QJsonValue::Bool:
        item->setText(1, value.toBool() ? QStringLiteral("true") // data, not text
                                        : QStringLiteral("false"));
        break;
    default:
        item->setText(1, QStringLiteral("null")); // data, not text
    }
}

} // namespace

BodyView::BodyView(QWidget *parent)
    : QWidget(parent)
    , m_info(new QLabel(this))
    , m_modeBox(new QComboBox(this))
    , m_loadAllButton(new QPushButton(tr("Load all"), this))
    , m_stack(new QStackedWidget(this))
    , m_text(new QPlainTextEdit(this))
    , m_tree(new QTreeWidget(this))
    , m_hex(new HexView(this))
    , m_imageArea(new QScrollArea(this))
    , m_image(new QLabel(this))
    , m_preview(new OfflineBrowser(this))
    , m_wrapBox(new QCheckBox(tr("Wrap"), this))
{
    m_info->setObjectName(QStringLiteral("bodyInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modeBox->setObjectName(QStringLiteral("bodyMode"));
    // Its items change with each body ("Text" first, "Pretty JSON" later): always as wide
    // as the longest one.
    m_modeBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_loadAllButton->setObjectName(QStringLiteral("loadAllButton"));
    m_loadAllButton->hide();
    connect(m_loadAllButton, &QPushButton::clicked, this, &BodyView::loadAll);
    connect(m_modeBox, &QComboBox::activated, this,
            [this](int i) { showMode(Mode(m_modeBox->itemData(i).toInt())); });

    m_text->setObjectName(QStringLiteral("bodyText"));
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_tree->setObjectName(QStringLiteral("bodyTree"));
    m_tree->setHeaderLabels({tr("Key"), tr("Value")});
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_tree->header()->resizeSection(0, 220);
    m_hex->setObjectName(QStringLiteral("bodyHex"));
    m_image->setObjectName(QStringLiteral("bodyImage"));
    m_image->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_imageArea->setWidget(m_image);
    m_imageArea->setWidgetResizable(false);
    m_imageArea->setBackgroundRole(QPalette::Base);

    m_stack->addWidget(m_text); // text and pretty JSON
    m_stack->addWidget(m_tree);
    m_stack->addWidget(m_hex);
    m_stack->addWidget(m_imageArea);
    m_preview->setObjectName(QStringLiteral("bodyPreview"));
    m_preview->setOpenLinks(false);
    m_stack->addWidget(m_preview);

    m_wrapBox->setObjectName(QStringLiteral("bodyWrap"));
    m_wrapBox->setToolTip(tr("Wrap long lines at the pane's width"));
    connect(m_wrapBox, &QCheckBox::toggled, this, &BodyView::setWrapping);
    // Only where there is text to wrap.
    connect(m_stack, &QStackedWidget::currentChanged, this,
            [this] { m_wrapBox->setVisible(m_stack->currentWidget() == m_text); });

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_info, 1);
    bar->addWidget(m_loadAllButton);
    bar->addWidget(m_wrapBox);
    bar->addWidget(m_modeBox);
    // The find bar, under the mode bar; hidden until Ctrl+F.
    m_findBar = new QWidget(this);
    m_findBar->setObjectName(QStringLiteral("findBar"));
    m_findEdit = new QLineEdit(m_findBar);
    m_findEdit->setObjectName(QStringLiteral("findEdit"));
    m_findEdit->setPlaceholderText(tr("Find in body"));
    m_findEdit->setClearButtonEnabled(true);
    m_findEdit->installEventFilter(this); // Esc, Shift+Enter
    m_findCount = new QLabel(m_findBar);
    m_findCount->setObjectName(QStringLiteral("findCount"));
    auto *previous = new QToolButton(m_findBar);
    previous->setArrowType(Qt::UpArrow);
    previous->setToolTip(tr("Previous match (Shift+F3)"));
    auto *next = new QToolButton(m_findBar);
    next->setArrowType(Qt::DownArrow);
    next->setToolTip(tr("Next match (F3, Enter)"));
    auto *close = new QToolButton(m_findBar);
    close->setText(QStringLiteral("\u00d7"));
    close->setToolTip(tr("Close (Esc)"));
    connect(m_findEdit, &QLineEdit::textChanged, this, &BodyView::find);
    connect(m_findEdit, &QLineEdit::returnPressed, this, &BodyView::findNext);
    connect(previous, &QToolButton::clicked, this, &BodyView::findPrevious);
    connect(next, &QToolButton::clicked, this, &BodyView::findNext);
    connect(close, &QToolButton::clicked, this, &BodyView::closeFind);
    auto *findLayout = new QHBoxLayout(m_findBar);
    findLayout->setContentsMargins(0, 0, 0, 0);
    findLayout->addWidget(m_findEdit, 1);
    findLayout->addWidget(m_findCount);
    findLayout->addWidget(previous);
    findLayout->addWidget(next);
    findLayout->addWidget(close);
    m_findBar->hide();
    // Ctrl+F and F3 reach the view before the window's shortcuts (Ctrl+F there is Filter).
    m_text->installEventFilter(this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_findBar);
    layout->addWidget(m_stack, 1);
    clear();
}

BodyView::~BodyView() = default;

void BodyView::clear()
{
    ++m_generation;
    m_loading = false;
    m_body.reset();
    m_content = {};
    m_kind = BodyKind::Empty;
    delete m_highlighter;
    m_highlighter = nullptr;
    m_text->clear();
    m_matches.clear();
    m_currentMatch = -1;
    m_findCount->clear();
    m_tree->clear();
    m_hex->setData({});
    m_image->clear();
    m_preview->clear();
    m_modeBox->clear();
    m_modeBox->hide();
    m_loadAllButton->hide();
    m_info->setText(tr("No body"));
    m_stack->setCurrentWidget(m_text);
}

void BodyView::setBody(std::shared_ptr<flow::Body> body, const QString &contentType,
                       const std::string &contentEncoding)
{
    clear();
    if (!body || body->size() == 0)
        return;
    m_body = std::move(body);
    m_contentType = contentType;
    m_contentEncoding = contentEncoding;
    load(kPreviewRawBytes, kPreviewDecodedBytes);
}

void BodyView::loadAll()
{
    if (m_body)
        load(UINT64_MAX, kAllDecodedBytes);
}

void BodyView::load(std::uint64_t maxRaw, std::uint64_t maxDecoded)
{
    const std::uint64_t generation = ++m_generation;
    m_loading = true;
    m_info->setText(tr("Loading\u2026"));
    m_loadAllButton->setEnabled(false);
    auto *watcher = new QFutureWatcher<BodyContent>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == m_generation)
            show(watcher->result());
    });
    // The worker holds its own reference to the body: it outlives a cleared view.
    watcher->setFuture(
        QtConcurrent::run([body = m_body, encoding = m_contentEncoding, maxRaw, maxDecoded] {
            return loadBody(*body, encoding, maxRaw, maxDecoded);
        }));
}

void BodyView::show(BodyContent content)
{
    m_loading = false;
    m_content = std::move(content);
    m_kind = classifyBody(m_contentType, m_content.bytes);
    m_treeFilled = false;
    m_tree->clear();
    m_info->setText(describeBody(m_content));
    m_loadAllButton->setVisible(m_content.partial && m_content.rawRead < m_content.rawSize);
    m_loadAllButton->setEnabled(true);

    const QByteArray bytes = QByteArray::fromStdString(m_content.bytes);
    m_hex->setData(bytes);

    QList<Mode> modes;
    Mode preferred = HexMode;
    switch (m_kind) {
    case BodyKind::Json:
        modes = {PrettyMode, TreeMode, TextMode, HexMode};
        preferred = PrettyMode;
        break;
    case BodyKind::Image:
        modes = {ImageMode, HexMode};
        preferred = ImageMode;
        break;
    case BodyKind::Binary:
        modes = {HexMode, TextMode};
        preferred = HexMode;
        break;
    case BodyKind::Empty:
        modes = {TextMode};
        preferred = TextMode;
        break;
    case BodyKind::Html:
        modes = {TextMode, PreviewMode, HexMode};
        preferred = TextMode; // the source first: the page as sent, not as Qt renders it
        break;
    default:
        modes = {TextMode, HexMode};
        preferred = TextMode;
    }
    if (m_kind == BodyKind::Image) {
        QBuffer buffer;
        buffer.setData(bytes);
        buffer.open(QIODevice::ReadOnly);
        QImageReader reader(&buffer);
        const QByteArray format = reader.format(); // before read(), which forgets it
        const QImage image = reader.read();
        if (image.isNull()) {
            m_image->setText(tr("Cannot show this image: %1").arg(reader.errorString()));
        } else {
            m_image->setPixmap(QPixmap::fromImage(image));
            m_info->setText(m_info->text() + QStringLiteral(" \u00b7 ")
                            + tr("%1 image, %2\u00d7%3")
                                  .arg(QString::fromLatin1(format).toUpper())
                                  .arg(image.width())
                                  .arg(image.height()));
        }
        m_image->adjustSize();
    }
    m_modeBox->clear();
    for (const Mode mode : modes)
        m_modeBox->addItem(modeName(mode), int(mode));
    m_modeBox->setVisible(modes.size() > 1);
    showMode(preferred);
    Q_EMIT loaded();
}

void BodyView::setWrapping(bool wrap)
{
    m_wrapBox->setChecked(wrap);
    m_text->setLineWrapMode(wrap ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
}

bool BodyView::isWrapping() const
{
    return m_text->lineWrapMode() != QPlainTextEdit::NoWrap;
}

QString BodyView::previewText() const
{
    return m_preview->toPlainText();
}

BodyView::Mode BodyView::mode() const
{
    return m_modeBox->count() ? Mode(m_modeBox->currentData().toInt()) : TextMode;
}

void BodyView::setMode(Mode mode)
{
    const int i = m_modeBox->findData(int(mode));
    if (i >= 0)
        showMode(mode);
}

void BodyView::showMode(Mode mode)
{
    const int i = m_modeBox->findData(int(mode));
    if (i >= 0)
        m_modeBox->setCurrentIndex(i);
    delete m_highlighter;
    m_highlighter = nullptr;
    switch (mode) {
    case TextMode:
    case PrettyMode: {
        QString text;
        if (mode == PrettyMode) {
            // Indented as sent: key order and every digit kept (QJsonDocument sorts keys
            // and rounds integers beyond 2^53).
            const std::optional<std::string> pretty = prettyJson(m_content.bytes);
            const std::string &shown = pretty ? *pretty : m_content.bytes;
            text = QString::fromUtf8(shown.data(), qsizetype(shown.size()));
        } else {
            text = QString::fromUtf8(m_content.bytes.data(), qsizetype(m_content.bytes.size()));
        }
        m_text->setPlainText(text);
        if (text.size() <= kMaxHighlightedChars)
            m_highlighter = SyntaxHighlighter::create(m_kind, m_text->document());
        m_stack->setCurrentWidget(m_text);
        searchAgain(); // the matches of the find bar, in the new text
        break;
    }
    case TreeMode:
        fillTree();
        m_stack->setCurrentWidget(m_tree);
        break;
    case HexMode:
        m_stack->setCurrentWidget(m_hex);
        break;
    case ImageMode:
        m_stack->setCurrentWidget(m_imageArea);
        break;
    case PreviewMode:
        m_preview->setHtml(
            QString::fromUtf8(m_content.bytes.data(), qsizetype(m_content.bytes.size())));
        m_stack->setCurrentWidget(m_preview);
        break;
    default:
        break;
    }
}

void BodyView::fillTree()
{
    if (m_treeFilled)
        return;
    m_treeFilled = true;
    QJsonParseError error;
    const QJsonDocument json
        = QJsonDocument::fromJson(QByteArray::fromStdString(m_content.bytes), &error);
    if (json.isNull()) {
        auto *item = new QTreeWidgetItem(m_tree);
        item->setText(0, tr("Not valid JSON: %1 at %2").arg(error.errorString()).arg(error.offset));
        return;
    }
    int budget = kMaxTreeItems;
    auto *root = m_tree->invisibleRootItem();
    addJson(root, json.isArray() ? tr("array") : tr("object"),
            json.isArray() ? QJsonValue(json.array()) : QJsonValue(json.object()), budget);
    if (budget < 0) {
        auto *item = new QTreeWidgetItem(m_tree);
        item->setText(0, tr("\u2026 (only the first %1 items are shown)").arg(kMaxTreeItems));
    }
    m_tree->expandToDepth(1);
}

QString BodyView::infoText() const
{
    return m_info->text();
}

QString BodyView::text() const
{
    return m_text->toPlainText();
}

bool BodyView::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() != QEvent::ShortcutOverride && event->type() != QEvent::KeyPress)
        return QWidget::eventFilter(watched, event);
    auto *key = static_cast<QKeyEvent *>(event);
    const bool findKey = key->matches(QKeySequence::Find);
    const bool nextKey = key->matches(QKeySequence::FindNext);
    const bool previousKey = key->matches(QKeySequence::FindPrevious);
    const bool escape = watched == m_findEdit && key->key() == Qt::Key_Escape;
    const bool shiftEnter = watched == m_findEdit && key->modifiers() == Qt::ShiftModifier
                            && (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter);
    if (!findKey && !nextKey && !previousKey && !escape && !shiftEnter)
        return QWidget::eventFilter(watched, event);
    if (event->type() == QEvent::ShortcutOverride) {
        event->accept(); // ours, not the window's shortcut: a KeyPress follows
        return true;
    }
    if (findKey)
        openFind();
    else if (nextKey)
        findNext();
    else if (previousKey || shiftEnter)
        findPrevious();
    else
        closeFind();
    return true;
}

void BodyView::openFind()
{
    // Find works on the text view: from hex, tree or preview, switch to text when there is.
    if (m_stack->currentWidget() != m_text && m_modeBox->findData(int(TextMode)) >= 0)
        showMode(TextMode);
    m_findBar->show();
    m_findEdit->setFocus(Qt::ShortcutFocusReason);
    m_findEdit->selectAll();
    searchAgain();
}

void BodyView::closeFind()
{
    m_findBar->hide();
    m_matches.clear();
    m_currentMatch = -1;
    m_text->setExtraSelections({});
    m_text->setFocus(Qt::OtherFocusReason);
}

void BodyView::find(const QString &needle)
{
    m_matches.clear();
    m_currentMatch = -1;
    if (!needle.isEmpty() && m_stack->currentWidget() == m_text) {
        const QString text = m_text->toPlainText();
        for (qsizetype at = text.indexOf(needle, 0, Qt::CaseInsensitive); at >= 0;
             at = text.indexOf(needle, at + needle.size(), Qt::CaseInsensitive))
            m_matches.emplace_back(int(at), int(needle.size()));
        // The first match at or after the cursor, as editors do.
        const int from = m_text->textCursor().selectionStart();
        m_currentMatch = m_matches.empty() ? -1 : 0;
        for (std::size_t i = 0; i < m_matches.size(); ++i) {
            if (m_matches[i].first >= from) {
                m_currentMatch = int(i);
                break;
            }
        }
    }
    showMatches();
}

void BodyView::findNext()
{
    if (m_matches.empty())
        return;
    m_currentMatch = (m_currentMatch + 1) % int(m_matches.size());
    showMatches();
}

void BodyView::findPrevious()
{
    if (m_matches.empty())
        return;
    m_currentMatch = (m_currentMatch + int(m_matches.size()) - 1) % int(m_matches.size());
    showMatches();
}

void BodyView::searchAgain()
{
    if (m_findBar->isVisible())
        find(m_findEdit->text());
}

void BodyView::showMatches()
{
    QList<QTextEdit::ExtraSelection> selections;
    const QPalette p = palette();
    const bool dark = p.color(QPalette::Base).lightness() < 128;
    QTextCharFormat all;
    all.setBackground(dark ? QColor(0x6b, 0x5b, 0x00) : QColor(0xff, 0xef, 0x80));
    QTextCharFormat current;
    current.setBackground(dark ? QColor(0xc0, 0x70, 0x00) : QColor(0xff, 0x9f, 0x1a));
    const int shown = std::min(int(m_matches.size()), kMaxHighlightedMatches);
    for (int i = 0; i < shown; ++i) {
        QTextEdit::ExtraSelection s;
        s.cursor = QTextCursor(m_text->document());
        s.cursor.setPosition(m_matches[std::size_t(i)].first);
        s.cursor.setPosition(m_matches[std::size_t(i)].first + m_matches[std::size_t(i)].second,
                             QTextCursor::KeepAnchor);
        s.format = i == m_currentMatch ? current : all;
        selections.append(s);
    }
    m_text->setExtraSelections(selections);
    if (m_currentMatch >= 0) {
        const auto [at, length] = m_matches[std::size_t(m_currentMatch)];
        QTextCursor cursor(m_text->document());
        cursor.setPosition(at);
        cursor.setPosition(at + length, QTextCursor::KeepAnchor);
        m_text->setTextCursor(cursor);
        m_text->ensureCursorVisible();
    }
    if (m_findEdit->text().isEmpty())
        m_findCount->clear();
    else if (m_matches.empty())
        m_findCount->setText(tr("No match"));
    else
        m_findCount->setText(tr("%1 of %2").arg(m_currentMatch + 1).arg(m_matches.size()));
}

} // namespace ts::ui
