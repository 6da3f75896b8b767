#pragma once

#include "core/flow/flow.h"

#include <QDialog>
#include <QStringList>

#include <vector>

class QLabel;
class QPlainTextEdit;

namespace ts::ui {

// Two flows side by side (Edit > Compare Two Flows): each one's request and response as
// text (request line, headers, body; status line, headers, body, bodies decoded), the lines
// only one side has highlighted, scrolling together.
class CompareDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareDialog)

public:
    CompareDialog(const flow::Flow &left, const flow::Flow &right, QWidget *parent = nullptr);
    ~CompareDialog() override;

    // A flow as compared: one line per header, bodies decoded and cut at 64 KiB.
    static QStringList flowLines(const flow::Flow &flow);
    // For each line of `a` and of `b`: whether it is in a longest common subsequence of the
    // two (false: only that side has it).
    static void commonLines(const QStringList &a, const QStringList &b, std::vector<bool> &inA,
                            std::vector<bool> &inB);

    int differingLines() const { return m_differing; }
    QString summaryText() const;
    QPlainTextEdit *leftView() const { return m_left; }
    QPlainTextEdit *rightView() const { return m_right; }

private:
    QPlainTextEdit *m_left = nullptr;
    QPlainTextEdit *m_right = nullptr;
    QLabel *m_summary = nullptr;
    int m_differing = 0;
};

} // namespace ts::ui
