#include "ui/detail/graphql_view.h"

#include "ui/detail/body_content.h"
#include "ui/detail/syntax_highlighter.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QVBoxLayout>

namespace ts::ui {

namespace {

QPlainTextEdit *makeText(const QString &name, QWidget *parent)
{
    auto *text = new QPlainTextEdit(parent);
    text->setObjectName(name);
    text->setReadOnly(true);
    text->setLineWrapMode(QPlainTextEdit::NoWrap);
    text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return text;
}

} // namespace

GraphQlView::GraphQlView(QWidget *parent)
    : QWidget(parent)
    , m_operationBox(new QComboBox(this))
    , m_title(new QLabel(this))
    , m_query(makeText(QStringLiteral("graphqlQuery"), this))
    , m_variablesLabel(new QLabel(tr("Variables"), this))
    , m_variables(makeText(QStringLiteral("graphqlVariables"), this))
{
    m_operationBox->setObjectName(QStringLiteral("graphqlOperations"));
    // A long operation name never widens the details dock.
    m_operationBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_operationBox->setMinimumContentsLength(24);
    m_title->setObjectName(QStringLiteral("graphqlTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    SyntaxHighlighter::create(BodyKind::Json, m_variables->document());

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_operationBox);
    top->addWidget(m_title, 1);

    auto *variables = new QWidget(this);
    auto *variablesLayout = new QVBoxLayout(variables);
    variablesLayout->setContentsMargins(0, 0, 0, 0);
    variablesLayout->setSpacing(2);
    variablesLayout->addWidget(m_variablesLabel);
    variablesLayout->addWidget(m_variables);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_query);
    splitter->addWidget(variables);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(m_operationBox, &QComboBox::currentIndexChanged, this, &GraphQlView::showOperation);
    clear();
}

GraphQlView::~GraphQlView() = default;

QString GraphQlView::describe(const GraphQlOperation &operation)
{
    const QString type = operation.type.isEmpty() ? tr("operation") : operation.type;
    return operation.name.isEmpty() ? tr("%1 (anonymous)").arg(type)
                                    : QStringLiteral("%1 %2").arg(type, operation.name);
}

void GraphQlView::showOperations(std::vector<GraphQlOperation> operations)
{
    if (operations == m_operations && !m_operations.empty())
        return; // the flow changed, not its request: keep the operation shown
    m_operations = std::move(operations);
    const QSignalBlocker blocker(m_operationBox);
    m_operationBox->clear();
    for (std::size_t i = 0; i < m_operations.size(); ++i)
        m_operationBox->addItem(
            tr("%1 of %2: %3").arg(i + 1).arg(m_operations.size()).arg(describe(m_operations[i])));
    m_operationBox->setVisible(m_operations.size() > 1);
    showOperation(0);
}

void GraphQlView::showOperation(int index)
{
    if (index < 0 || index >= int(m_operations.size())) {
        m_title->clear();
        m_query->clear();
        m_variables->clear();
        return;
    }
    if (m_operationBox->currentIndex() != index) {
        const QSignalBlocker blocker(m_operationBox);
        m_operationBox->setCurrentIndex(index);
    }
    const GraphQlOperation &op = m_operations[std::size_t(index)];
    m_title->setText(m_operations.size() > 1 ? tr("Batch of %1 operations").arg(m_operations.size())
                                             : describe(op));
    m_query->setPlainText(op.query);
    m_variables->setPlainText(op.variables);
    m_variablesLabel->setText(op.variables.isEmpty() ? tr("Variables: none") : tr("Variables"));
    m_variables->setVisible(!op.variables.isEmpty());
}

void GraphQlView::clear()
{
    m_operations.clear();
    const QSignalBlocker blocker(m_operationBox);
    m_operationBox->clear();
    m_operationBox->hide();
    showOperation(-1);
}

QString GraphQlView::title() const
{
    return m_title->text();
}

QString GraphQlView::queryText() const
{
    return m_query->toPlainText();
}

QString GraphQlView::variablesText() const
{
    return m_variables->toPlainText();
}

} // namespace ts::ui
