#pragma once

#include "ui/detail/graphql_format.h"

#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QPlainTextEdit;

namespace ts::ui {

// The request details' GraphQL tab: the operation's type and name, its document indented and
// its variables as sent (key order and every digit), one operation of a batch at a time.
class GraphQlView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GraphQlView)

public:
    explicit GraphQlView(QWidget *parent = nullptr);
    ~GraphQlView() override;

    void showOperations(std::vector<GraphQlOperation> operations);
    void clear();
    // Shows operation `index` of the batch.
    void showOperation(int index);

    int operationCount() const { return int(m_operations.size()); }
    QString title() const;
    QString queryText() const;
    QString variablesText() const;
    QComboBox *operationBox() const { return m_operationBox; }

    // "query GetUser", "mutation (anonymous)".
    static QString describe(const GraphQlOperation &operation);

private:
    std::vector<GraphQlOperation> m_operations;
    QComboBox *m_operationBox = nullptr;
    QLabel *m_title = nullptr;
    QPlainTextEdit *m_query = nullptr;
    QLabel *m_variablesLabel = nullptr;
    QPlainTextEdit *m_variables = nullptr;
};

} // namespace ts::ui
