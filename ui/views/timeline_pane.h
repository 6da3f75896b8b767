#pragma once

#include "core/flow/id_source.h"

#include <QWidget>

class QItemSelectionModel;
class QLabel;

namespace ts::ui {

class FlowTableModel;
class TimelineView;

// The Timeline dock: a legend of the phase colours, what is drawn (the table's flows or the
// selected ones) over how long, and the waterfall itself (TimelineView).
class TimelinePane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelinePane)

public:
    TimelinePane(const FlowTableModel &model, QItemSelectionModel &selection,
                 QWidget *parent = nullptr);
    ~TimelinePane() override;

    TimelineView *view() const { return m_view; }
    QString summary() const;

Q_SIGNALS:
    // A click on a flow's row: select it in the table.
    void flowRequested(flow::FlowId id);

private:
    void showSummary(int flows, std::int64_t spanMicros, bool selection);

    TimelineView *m_view = nullptr;
    QLabel *m_summary = nullptr;
};

} // namespace ts::ui
