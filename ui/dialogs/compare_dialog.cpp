#include "ui/dialogs/compare_dialog.h"

#include "ui/detail/body_content.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextBlock>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {

namespace {

// Bodies are compared up to this many decoded bytes; lines beyond kMaxLines are compared as
// all different (the table of the longest common subsequence is lines x lines).
constexpr std::uint64_t kMaxBodyBytes = 64 * 1024;
constexpr qsizetype kMaxLines = 3000;

std::string headerValue(const flow::HeaderList &headers, std::string_view name)
{
    for (const auto &[n, v] : headers) {
        if (QLatin1StringView(n.data(), qsizetype(n.size()))
                .compare(QLatin1StringView(name.data(), qsizetype(name.size())),
                         Qt::CaseInsensitive)
            == 0)
            return v;
    }
    return {};
}

void appendBody(QStringList &lines, const std::shared_ptr<flow::Body> &body,
                const flow::HeaderList &headers)
{
    if (!body || body->size() == 0)
        return;
    const BodyContent content
        = loadBody(*body, headerValue(headers, "content-encoding"), kMaxBodyBytes, kMaxBodyBytes);
    const QString text = QString::fromUtf8(content.bytes.data(), qsizetype(content.bytes.size()));
    lines << QString();
    if (text.contains(QChar::ReplacementCharacter) || text.contains(QChar(0))) {
        lines << CompareDialog::tr("(binary body, %1)").arg(describeBody(content));
        return;
    }
    lines += text.split(u'\n');
}

} // namespace

QStringList CompareDialog::flowLines(const flow::Flow &f)
{
    QStringList lines;
    if (f.kind == flow::FlowKind::Tunnel) {
        lines << QStringLiteral("CONNECT ") + QString::fromStdString(f.url());
        return lines;
    }
    lines << QString::fromStdString(f.method + " " + f.url() + " " + f.clientProtocol);
    for (const auto &[name, value] : f.requestHeaders)
        lines << QString::fromStdString(name + ": " + value);
    appendBody(lines, f.requestBody, f.requestHeaders);
    lines << QString();
    if (f.status > 0) {
        lines << QString::fromStdString(
            (f.serverProtocol.empty() ? std::string("HTTP/1.1") : f.serverProtocol) + " "
            + std::to_string(f.status) + (f.reason.empty() ? "" : " " + f.reason));
        for (const auto &[name, value] : f.responseHeaders)
            lines << QString::fromStdString(name + ": " + value);
        appendBody(lines, f.responseBody, f.responseHeaders);
    } else if (!f.error.empty()) {
        lines << tr("No response: %1").arg(QString::fromStdString(f.error));
    }
    return lines;
}

void CompareDialog::commonLines(const QStringList &a, const QStringList &b, std::vector<bool> &inA,
                                std::vector<bool> &inB)
{
    inA.assign(std::size_t(a.size()), false);
    inB.assign(std::size_t(b.size()), false);
    const qsizetype n = std::min(a.size(), kMaxLines);
    const qsizetype m = std::min(b.size(), kMaxLines);
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    std::vector<std::uint16_t> lcs(std::size_t((n + 1) * (m + 1)), 0);
    const auto at = [m](qsizetype i, qsizetype j) {
        return std::size_t(i * (m + 1) + j);
    };
    for (qsizetype i = n - 1; i >= 0; --i)
        for (qsizetype j = m - 1; j >= 0; --j)
            lcs[at(i, j)] = a[i] == b[j] ? std::uint16_t(lcs[at(i + 1, j + 1)] + 1)
                                         : std::max(lcs[at(i + 1, j)], lcs[at(i, j + 1)]);
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < n && j < m) {
        if (a[i] == b[j]) {
            inA[std::size_t(i++)] = true;
            inB[std::size_t(j++)] = true;
        } else if (lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            ++i;
        } else {
            ++j;
        }
    }
}

CompareDialog::CompareDialog(const flow::Flow &left, const flow::Flow &right, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Compare Flows %1 and %2").arg(left.id).arg(right.id));
    setObjectName(QStringLiteral("compareDialog"));
    const QStringList a = flowLines(left);
    const QStringList b = flowLines(right);
    std::vector<bool> inA;
    std::vector<bool> inB;
    commonLines(a, b, inA, inB);

    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    const QColor removed = dark ? QColor(0x5c, 0x1f, 0x1f) : QColor(0xff, 0xd6, 0xd6);
    const QColor added = dark ? QColor(0x1f, 0x4d, 0x2a) : QColor(0xd4, 0xf7, 0xdc);
    const auto makeView = [this](const QStringList &lines, const std::vector<bool> &common,
                                 const QColor &colour, const char *name) {
        auto *view = new QPlainTextEdit(this);
        view->setObjectName(QLatin1String(name));
        view->setReadOnly(true);
        view->setLineWrapMode(QPlainTextEdit::NoWrap);
        view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        view->setPlainText(lines.join(u'\n'));
        QList<QTextEdit::ExtraSelection> marks;
        for (int line = 0; line < int(lines.size()); ++line) {
            if (common[std::size_t(line)])
                continue;
            ++m_differing;
            QTextEdit::ExtraSelection s;
            s.cursor = QTextCursor(view->document()->findBlockByNumber(line));
            s.format.setBackground(colour);
            s.format.setProperty(QTextFormat::FullWidthSelection, true);
            marks << s;
        }
        view->setExtraSelections(marks);
        return view;
    };
    m_left = makeView(a, inA, removed, "compareLeft");
    m_right = makeView(b, inB, added, "compareRight");
    // One scroll for both: the same part of each flow stays in view.
    for (auto [from, to] : {std::pair{m_left, m_right}, std::pair{m_right, m_left}}) {
        connect(from->verticalScrollBar(), &QScrollBar::valueChanged, to->verticalScrollBar(),
                &QScrollBar::setValue);
        connect(from->horizontalScrollBar(), &QScrollBar::valueChanged, to->horizontalScrollBar(),
                &QScrollBar::setValue);
    }

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("compareSummary"));
    m_summary->setText(summaryText());
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *grid = new QGridLayout;
    grid->addWidget(
        new QLabel(tr("Flow %1: %2").arg(left.id).arg(QString::fromStdString(left.url())), this), 0,
        0);
    grid->addWidget(
        new QLabel(tr("Flow %1: %2").arg(right.id).arg(QString::fromStdString(right.url())), this),
        0, 1);
    grid->addWidget(m_left, 1, 0);
    grid->addWidget(m_right, 1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(grid, 1);
    layout->addWidget(m_summary);
    layout->addWidget(buttons);
    resize(fontMetrics().averageCharWidth() * 180, fontMetrics().height() * 40);
}

CompareDialog::~CompareDialog() = default;

QString CompareDialog::summaryText() const
{
    return m_differing == 0 ? tr("The two flows read the same.")
                            : tr("%1 lines differ (highlighted).").arg(m_differing);
}

} // namespace ts::ui
